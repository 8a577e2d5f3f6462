import Atomics
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
        guard let signal else { return }

        readiness.beginDraining()
        logger.notice(
            "shutdown: signal received, readiness is 503, draining",
            metadata: ["signal": "\(signal)", "drain_seconds": .stringConvertible(drain.seconds)])
        try? await Task.sleep(for: drain)
        logger.notice("shutdown: drain over, no longer accepting connections; finishing in-flight requests")
        deadline.start(logger: logger, logWriter: logWriter)
    }
}

/// `SHUTDOWN_TIMEOUT_SECONDS` from the end of the drain. When it passes, the service group
/// cancels what is still running, and the shutdown counts as failed (exit 1). Should cancelled
/// work not stop within a second, the process ends itself, with status 1 and a line saying why:
/// the service group's own escalation would be a crash.
final class ShutdownDeadline: Sendable {
    let timeout: Duration
    private let passed = ManagedAtomic(false)
    static let cancellationGrace = Duration.seconds(1)

    init(timeout: Duration) {
        self.timeout = timeout
    }

    var hasPassed: Bool { passed.load(ordering: .acquiring) }

    func start(logger: Logger, logWriter: LogWriter) {
        Task.detached { [timeout, passed] in
            try? await Task.sleep(for: timeout)
            passed.store(true, ordering: .releasing)
            logger.error(
                "shutdown: in-flight work outlived SHUTDOWN_TIMEOUT_SECONDS, cancelling it",
                metadata: ["timeout_seconds": .stringConvertible(timeout.seconds)])
            try? await Task.sleep(for: Self.cancellationGrace)
            logger.critical("shutdown: cancelled work did not stop within a second, exiting")
            logWriter.flush()
            _exit(1)
        }
    }

    struct Overrun: Error, CustomStringConvertible {
        let timeout: Duration
        var description: String {
            "in-flight work outlived SHUTDOWN_TIMEOUT_SECONDS (\(timeout.seconds) s) and was cancelled; "
                + "raise it if requests legitimately take that long"
        }
    }
}
