import Logging
import ServiceLifecycle
import UnixSignals

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Turns SIGTERM/SIGINT into Petrel's shutdown sequence. It runs last in the service group, so it
/// is the first to act: readiness turns 503 at once, the service keeps serving for the drain
/// period (load balancers need time to stop routing here), then this service returns and the
/// group shuts the rest down in reverse start order — the HTTP server stops accepting and
/// finishes in-flight requests, then the backends close. A second signal exits at once.
struct ShutdownCoordinator: Service {
    let readiness: Readiness
    let drain: Duration
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
    }
}
