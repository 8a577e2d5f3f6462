import Logging
import ServiceLifecycle
import UnixSignals

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns SIGTERM/SIGINT into Petrel's shutdown sequence. It runs last in the service group, so it
/// is the first to act: readiness turns 503 at once, the service keeps serving for the drain
/// period (load balancers need time to stop routing here), then this service returns and the
/// group shuts the rest down in reverse start order — the HTTP server stops accepting and
/// finishes in-flight requests, then the backends close. A second signal exits at once.
struct ShutdownCoordinator: Service {
    let readiness: Readiness
    let drain: Duration
    let deadline: ShutdownDeadline
    let logger: Logger
    let logWriter: LogWriter

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        let (firstSignal, firstSignalContinuation) = AsyncStream.makeStream(of: UnixSignal.self)
        // One task reads every signal (the sequence allows a single iterator): the first starts
        // the drain, any later one ends the process at once.
        let logger = self.logger
        let logWriter = self.logWriter
        Task.detached {
            var received = 0
            for await signal in signals {
                received += 1
                guard received > 1 else {
                    firstSignalContinuation.yield(signal)
                    continue
                }
                logger.critical("shutdown: second signal, exiting at once", metadata: ["signal": "\(signal)"])
                logWriter.flush()
                _exit(signal == .sigint ? 130 : 143)
            }
        }
        // Shutdown can also start elsewhere (a service failed): then there is nothing to drain.
        let signal: UnixSignal? = await cancelWhenGracefulShutdown {
            for await signal in firstSignal { return signal }
            return nil
        } ?? nil
        guard let signal else {
            logger.notice("shutdown: began without a signal (a service stopped or failed); no drain")
            deadline.begin()
            return
        }

        readiness.beginDraining()
        logger.notice(
            "shutdown: signal received, readiness is 503, draining",
            metadata: ["signal": "\(signal)", "drain_seconds": .stringConvertible(drain.seconds)])
        try? await Task.sleep(for: drain)
        logger.notice("shutdown: drain over, no longer accepting connections; finishing in-flight requests")
        deadline.begin()
    }
}

/// `SHUTDOWN_TIMEOUT_SECONDS`, counted from the moment the rest of the service group starts
/// shutting down: after the drain, or at once when shutdown began elsewhere (a service failed).
/// `PetrelApplication.run` races it against the group. When it passes first, the group is
/// cancelled and the shutdown counts as failed (exit 1); should cancelled work not stop within a
/// second, the process ends itself with status 1 and a line saying why. It is the only timer:
/// the service group's own would escalate to a crash.
final class ShutdownDeadline: Sendable {
    let timeout: Duration
    private let logger: Logger
    private let logWriter: LogWriter
    private let began: AsyncStream<Void>
    private let beginContinuation: AsyncStream<Void>.Continuation
    static let cancellationGrace = Duration.seconds(1)

    init(timeout: Duration, logger: Logger, logWriter: LogWriter) {
        self.timeout = timeout
        self.logger = logger
        self.logWriter = logWriter
        (began, beginContinuation) = AsyncStream.makeStream(of: Void.self)
    }

    /// Starts the count; later calls change nothing.
    func begin() {
        beginContinuation.yield()
        beginContinuation.finish()
    }

    /// Returns once the deadline has passed; throws `CancellationError` when cancelled first.
    func passed() async throws {
        for await _ in began { break }
        try Task.checkCancellation()
        try await Task.sleep(for: timeout)
    }

    /// Ends the process with status 1 unless it exits by itself within the grace period.
    func exitUnlessStoppedInTime() {
        Task.detached { [logger, logWriter] in
            try? await Task.sleep(for: Self.cancellationGrace)
            logger.critical(
                """
                shutdown: cancelled work did not stop within a second, exiting; a request handler or backend call \
                ignores task cancellation
                """)
            logWriter.flush()
            _exit(1)
        }
    }

    struct Overrun: Error, CustomStringConvertible {
        let timeout: Duration
        var description: String {
            "shutdown outlived SHUTDOWN_TIMEOUT_SECONDS (\(timeout.seconds) s) and what was left was cancelled; "
                + "raise it if requests or backend closes legitimately take that long"
        }
    }
}
