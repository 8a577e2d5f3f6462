import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL

/// One connection to Redis. Commands may be pipelined: each is written at once and its reply is
/// matched to it in order. A command that outlives its deadline closes the connection, because
/// the replies after it could no longer be matched; the pool then replaces it.
public final class RedisConnection: Sendable {
    let channel: any Channel
    /// Set before a timed-out command's caller is woken, so that the pool never lends the
    /// connection again, even in the moment before the channel has finished closing.
    private let isAbandoned = NIOLockedValueBox(false)

    private init(channel: any Channel) {
        self.channel = channel
    }

    public var isActive: Bool { channel.isActive && !isAbandoned.withLockedValue { $0 } }

    /// Connects, authenticates and selects the database, all before `deadline`.
    static func connect(
        _ configuration: RedisConfiguration, group: any EventLoopGroup, deadline: ContinuousClock.Instant
    ) async throws -> RedisConnection {
        let remaining = deadline - .now
        guard remaining > .zero else { throw RedisError.timeout("the connection") }
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caBundlePath = configuration.caBundlePath { tls.trustRoots = .file(caBundlePath) }
        let sslContext = try configuration.useTLS ? NIOSSLContext(configuration: tls) : nil
        let serverName = configuration.tlsServerName
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(.nanoseconds(Int64(remaining.nanoseconds)))
            .channelOption(.socketOption(.so_keepalive), value: 1)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let sslContext {
                        let handler = try NIOSSLClientHandler(context: sslContext, serverHostname: serverName)
                        try channel.pipeline.syncOperations.addHandler(handler)
                    }
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(RESPDecoder()))
                    try channel.pipeline.syncOperations.addHandler(RESPCommandHandler())
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: configuration.host, port: configuration.port).get()
        } catch ChannelError.connectTimeout {
            throw RedisError.timeout("the connection to \(configuration.host):\(configuration.port)")
        } catch {
            throw RedisError.connectionFailed("\(configuration.host):\(configuration.port): \(error)")
        }
        let connection = RedisConnection(channel: channel)
        do {
            if let password = configuration.password {
                let auth = configuration.username.map { ["AUTH", $0, password] } ?? ["AUTH", password]
                _ = try await connection.send(auth, deadline: deadline)
            }
            if configuration.database != 0 {
                _ = try await connection.send(["SELECT", String(configuration.database)], deadline: deadline)
            }
        } catch {
            connection.close()
            throw error
        }
        return connection
    }

    /// Sends one command and waits for its reply; an error reply throws `RedisError.server`.
    public func send(_ arguments: [String], deadline: ContinuousClock.Instant) async throws -> RESPValue {
        try await pipeline([arguments], deadline: deadline)[0]
    }

    /// Writes every command in one flush and waits for all replies, in order. Error replies are
    /// returned as `.error`, not thrown, so one failed command does not hide the others' results.
    public func pipeline(_ commands: [[String]], deadline: ContinuousClock.Instant) async throws -> [RESPValue] {
        let remaining = deadline - .now
        guard remaining > .zero else { throw RedisError.timeout(commands.first?.first ?? "the command") }
        let channel = self.channel
        let promises = commands.map { _ in channel.eventLoop.makePromise(of: RESPValue.self) }
        for (command, promise) in zip(commands, promises) {
            // A write that fails (the channel already closed, its handlers gone) fails its command.
            let written = channel.eventLoop.makePromise(of: Void.self)
            written.futureResult.whenFailure { promise.fail(RedisError.connectionFailed("the connection closed: \($0)")) }
            channel.write(RESPCommand(arguments: command, promise: promise), promise: written)
        }
        channel.flush()
        // Completing a completed promise is a no-op in NIO, so the timer may fail them all.
        let what = commands.first?.first ?? "the command"
        let isAbandoned = self.isAbandoned
        let timer = channel.eventLoop.scheduleTask(in: .nanoseconds(Int64(remaining.nanoseconds))) {
            isAbandoned.withLockedValue { $0 = true }
            for promise in promises { promise.fail(RedisError.timeout(what)) }
            channel.close(promise: nil)
        }
        defer { timer.cancel() }
        var replies: [RESPValue] = []
        replies.reserveCapacity(promises.count)
        for promise in promises { replies.append(try await promise.futureResult.get()) }
        if commands.count == 1, case .error(let message) = replies[0] { throw RedisError.server(message) }
        return replies
    }

    public func close() {
        channel.close(promise: nil)
    }
}

extension Duration {
    var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}

struct RESPCommand {
    let arguments: [String]
    let promise: EventLoopPromise<RESPValue>
}

/// Encodes commands and hands each reply to the promise of the oldest command still waiting.
///
/// Flushes are coalesced: callers sharing the connection each write and flush, and the flush is
/// passed on once, after the writes already queued on the event loop. Commands sent together
/// leave in one write and come back in one read, on both sides of the connection.
final class RESPCommandHandler: ChannelDuplexHandler {
    typealias InboundIn = RESPValue
    typealias OutboundIn = RESPCommand
    typealias OutboundOut = ByteBuffer

    private var waiting = CircularBuffer<EventLoopPromise<RESPValue>>()
    private var flushPending = false

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let command = unwrapOutboundIn(data)
        var buffer = context.channel.allocator.buffer(capacity: 64)
        RESPEncoder.encode(command: command.arguments, into: &buffer)
        waiting.append(command.promise)
        context.write(wrapOutboundOut(buffer), promise: promise)
    }

    func flush(context: ChannelHandlerContext) {
        guard !flushPending else { return }
        flushPending = true
        // Runs in this tick of the event loop, after the tasks queued before it (other callers' writes).
        context.eventLoop.assumeIsolated().execute {
            self.flushPending = false
            context.flush()
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let promise = waiting.popFirst() else {
            context.fireErrorCaught(RESPProtocolError("a reply arrived for no command"))
            return
        }
        promise.succeed(unwrapInboundIn(data))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAll(RedisError.connectionFailed("\(error)"))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(RedisError.connectionFailed("the connection closed"))
        context.fireChannelInactive()
    }

    private func failAll(_ error: RedisError) {
        while let promise = waiting.popFirst() { promise.fail(error) }
    }
}
