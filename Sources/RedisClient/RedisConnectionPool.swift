import NIOConcurrencyHelpers
public import NIOCore

/// At most `poolSize` connections. Short commands share them: RESP answers in order and each
/// connection matches replies to commands in a FIFO, so many callers can have commands in
/// flight on one connection at once (`withSharedConnection`). A command that blocks its
/// connection (BLPOP, …) gets one to itself (`withConnection`); a caller that finds them all lent
/// waits (FIFO) until one is returned, its deadline passes or it is cancelled. Closed connections are dropped
/// and replaced on demand; a connection idle for long is PINGed before it is lent. After a failed
/// connect, new connects wait out a capped exponential backoff with jitter, and callers fail fast
/// meanwhile instead of piling up on a Redis that is down.
public final class RedisConnectionPool: Sendable {
    public let configuration: RedisConfiguration
    private let group: any EventLoopGroup
    private let state = NIOLockedValueBox(State())

    private struct State {
        var idle: [(connection: RedisConnection, since: ContinuousClock.Instant)] = []
        /// Round-robin position among the idle connections for shared use.
        var nextShared = 0
        /// Connections idle, lent or being opened.
        var open = 0
        var waiters: [(id: Int, continuation: CheckedContinuation<Lease, any Error>)] = []
        var nextWaiterID = 0
        var closed = false
        var consecutiveFailures = 0
        var lastFailure: RedisError?
        var retryAt: ContinuousClock.Instant?
    }

    private enum Lease {
        case connection(RedisConnection, idleSince: ContinuousClock.Instant)
        /// A free slot: the caller opens a new connection.
        case slot
    }

    public init(configuration: RedisConfiguration, group: any EventLoopGroup) {
        self.configuration = configuration
        self.group = group
    }

    /// Lends a connection to `body` and takes it back afterwards, whatever happens.
    public func withConnection<Value: Sendable>(
        deadline: ContinuousClock.Instant, _ body: (RedisConnection) async throws -> Value
    ) async throws -> Value {
        let connection = try await lease(deadline: deadline)
        do {
            let value = try await body(connection)
            giveBack(connection)
            return value
        } catch {
            giveBack(connection)
            throw error
        }
    }

    /// Runs `body` on a connection other callers may be using at the same time, for a command that
    /// answers without blocking its connection. Falls back to `withConnection` when no connection
    /// is open and healthy yet, which is also how the pool grows to `poolSize`.
    public func withSharedConnection<Value: Sendable>(
        deadline: ContinuousClock.Instant, _ body: (RedisConnection) async throws -> Value
    ) async throws -> Value {
        let shared = state.withLockedValue { state -> RedisConnection? in
            guard !state.closed else { return nil }
            let before = state.idle.count
            state.idle.removeAll { !$0.connection.isActive }
            state.open -= before - state.idle.count
            guard !state.idle.isEmpty else { return nil }
            state.nextShared = (state.nextShared + 1) % state.idle.count
            let (connection, since) = state.idle[state.nextShared]
            // A connection unused for long is left to the exclusive path, which PINGs it first.
            guard ContinuousClock.now - since <= configuration.idleCheckInterval else { return nil }
            state.idle[state.nextShared].since = .now
            return connection
        }
        guard let shared else { return try await withConnection(deadline: deadline, body) }
        return try await body(shared)
    }

    /// Counts, for tests and metrics: connections open and idle, callers waiting.
    public var statistics: (open: Int, idle: Int, waiting: Int) {
        state.withLockedValue { ($0.open, $0.idle.count, $0.waiters.count) }
    }

    public func close() {
        let (idle, waiters) = state.withLockedValue { state in
            state.closed = true
            defer { state.idle.removeAll(); state.waiters.removeAll() }
            return (state.idle, state.waiters)
        }
        for (connection, _) in idle { connection.close() }
        for waiter in waiters { waiter.continuation.resume(throwing: RedisError.closed) }
    }

    private func lease(deadline: ContinuousClock.Instant) async throws -> RedisConnection {
        while true {
            switch try await nextLease(deadline: deadline) {
            case .slot:
                return try await open(deadline: deadline)
            case .connection(let connection, let idleSince):
                guard ContinuousClock.now - idleSince > configuration.idleCheckInterval else { return connection }
                do {
                    _ = try await connection.send(["PING"], deadline: min(deadline, .now + configuration.commandTimeout))
                    return connection
                } catch {
                    connection.close()
                    giveBack(connection)  // drops it and frees its slot
                }
            }
        }
    }

    private func nextLease(deadline: ContinuousClock.Instant) async throws -> Lease {
        let waiterID = state.withLockedValue { state -> Int in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        let start = ContinuousClock.now
        // A cancelled caller (a request cut off at shutdown) stops waiting at once, not at its deadline.
        return try await withTaskCancellationHandler {
            try await waitForLease(waiterID: waiterID, since: start, deadline: deadline)
        } onCancel: {
            removeWaiter(waiterID)?.resume(throwing: CancellationError())
        }
    }

    /// Takes a waiter out of the queue, unless a returned connection or a deadline got it first.
    private func removeWaiter(_ id: Int) -> CheckedContinuation<Lease, any Error>? {
        state.withLockedValue { state in
            state.waiters.firstIndex { $0.id == id }.map { state.waiters.remove(at: $0).continuation }
        }
    }

    private func waitForLease(waiterID: Int, since start: ContinuousClock.Instant, deadline: ContinuousClock.Instant) async throws -> Lease {
        try await withCheckedThrowingContinuation { continuation in
            let waiting = state.withLockedValue { state -> Bool in
                if state.closed {
                    continuation.resume(throwing: RedisError.closed)
                    return false
                }
                while let (connection, since) = state.idle.popLast() {
                    if connection.isActive {
                        continuation.resume(returning: .connection(connection, idleSince: since))
                        return false
                    }
                    state.open -= 1
                }
                if state.open < configuration.poolSize {
                    state.open += 1
                    continuation.resume(returning: .slot)
                    return false
                }
                // Checked under the lock the cancellation handler takes, so a cancel that came
                // before this point is seen here, and one after it finds the waiter.
                if Task.isCancelled {
                    continuation.resume(throwing: CancellationError())
                    return false
                }
                state.waiters.append((waiterID, continuation))
                return true
            }
            guard waiting else { return }
            Task { [self] in
                try? await Task.sleep(until: deadline, clock: .continuous)
                removeWaiter(waiterID)?.resume(
                    throwing: RedisError.poolExhausted(size: configuration.poolSize, waited: ContinuousClock.now - start))
            }
        }
    }

    /// Opens a connection in a slot already counted in `open`; gives the slot back on failure.
    private func open(deadline: ContinuousClock.Instant) async throws -> RedisConnection {
        let backoff = state.withLockedValue { state -> (RedisError, Duration)? in
            guard let retryAt = state.retryAt, ContinuousClock.now < retryAt, let failure = state.lastFailure else { return nil }
            return (failure, retryAt - .now)
        }
        if let (failure, wait) = backoff {
            releaseSlot()
            let reason: String = if case .connectionFailed(let reason) = failure { reason } else { "\(failure)" }
            throw RedisError.connectionFailed("\(reason) (next attempt in \(wait.milliseconds) ms)")
        }
        do {
            let connection = try await RedisConnection.connect(configuration, group: group, deadline: deadline)
            state.withLockedValue { state in
                state.consecutiveFailures = 0
                state.retryAt = nil
            }
            return connection
        } catch {
            let failure = error as? RedisError ?? .connectionFailed("\(error)")
            state.withLockedValue { state in
                state.consecutiveFailures += 1
                state.lastFailure = failure
                state.retryAt = .now + backoffDelay(afterFailures: state.consecutiveFailures)
            }
            releaseSlot()
            throw failure
        }
    }

    /// Doubling from the initial delay up to the cap, each scaled by a random 50–100 % so that
    /// replicas that lost Redis together do not reconnect in lockstep.
    func backoffDelay(afterFailures failures: Int) -> Duration {
        let (initial, maximum) = configuration.reconnectBackoff
        let exponent = min(failures - 1, 20)
        let delay = min(initial * (1 << exponent), maximum)
        return delay * Double.random(in: 0.5...1.0)
    }

    private func giveBack(_ connection: RedisConnection) {
        let action = state.withLockedValue { state -> (() -> Void)? in
            guard connection.isActive, !state.closed else {
                state.open -= 1
                guard !state.waiters.isEmpty, state.open < configuration.poolSize else { return nil }
                state.open += 1
                let waiter = state.waiters.removeFirst()
                return { waiter.continuation.resume(returning: .slot) }
            }
            guard !state.waiters.isEmpty else {
                state.idle.append((connection, .now))
                return nil
            }
            let waiter = state.waiters.removeFirst()
            return { waiter.continuation.resume(returning: .connection(connection, idleSince: .now)) }
        }
        if !connection.isActive || state.withLockedValue({ $0.closed }) { connection.close() }
        action?()
    }

    private func releaseSlot() {
        let waiter = state.withLockedValue { state -> CheckedContinuation<Lease, any Error>? in
            guard !state.waiters.isEmpty else {
                state.open -= 1
                return nil
            }
            return state.waiters.removeFirst().continuation  // the slot passes straight to it
        }
        waiter?.resume(returning: .slot)
    }
}

extension Duration {
    var milliseconds: Int64 { nanoseconds / 1_000_000 }
}
