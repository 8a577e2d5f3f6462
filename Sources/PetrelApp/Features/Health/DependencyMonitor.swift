import Logging
import ServiceLifecycle

/// Checks every backend in the background on an interval and records the results in
/// `Readiness` and in `petrel_dependency_up`, so probes answer from memory. A check that does not
/// answer within the interval counts as failed.
struct DependencyMonitor: Service {
    let checks: [any DependencyCheck]
    let interval: Duration
    let readiness: Readiness
    let metrics: PetrelMetrics
    let logger: Logger

    init(checks: [any DependencyCheck], interval: Duration, readiness: Readiness, metrics: PetrelMetrics, logger: Logger) {
        self.checks = checks
        self.interval = interval
        self.readiness = readiness
        self.metrics = metrics
        self.logger = logger
        for check in checks {
            readiness.register(dependency: check.name)
            metrics.setDependency(check.name, up: false)
        }
    }

    func run() async throws {
        guard !checks.isEmpty else {
            // A service that returns early would end the group: stay until shutdown.
            try? await gracefulShutdown()
            return
        }
        await cancelWhenGracefulShutdown {
            var lastFailures: [String: String?] = [:]
            while !Task.isCancelled {
                let results = await withTaskGroup(of: (String, CheckFailure?).self) { group in
                    for check in checks {
                        group.addTask { (check.name, await runCheck(check)) }
                    }
                    return await group.reduce(into: [(String, CheckFailure?)]()) { $0.append($1) }
                }
                for (name, failure) in results {
                    readiness.record(dependency: name, failure: failure?.summary)
                    metrics.setDependency(name, up: failure == nil)
                    if lastFailures[name] != .some(failure?.detail) {
                        if let failure {
                            logger.warning("dependency check failed", metadata: ["dependency": "\(name)", "reason": "\(failure.detail)"])
                        } else {
                            logger.info("dependency check passed", metadata: ["dependency": "\(name)"])
                        }
                        lastFailures[name] = .some(failure?.detail)
                    }
                }
                try? await Task.sleep(for: interval)
            }
        }
    }

    /// `summary` is what `/readiness` shows: a word, or a reason written for it (`PublicReason`),
    /// because the probe may be reachable from outside and raw errors name internal hosts.
    struct CheckFailure {
        let summary: String
        let detail: String
    }

    private func runCheck(_ check: any DependencyCheck) async -> CheckFailure? {
        do {
            try await withTimeout(interval) { try await check.check() }
            return nil
        } catch let reason as PublicReason {
            return CheckFailure(summary: "\(reason)", detail: "\(reason)")
        } catch {
            return CheckFailure(summary: DependencyInstrument.isTimeout(error) ? "timeout" : "unreachable", detail: "\(error)")
        }
    }
}

/// A check failure whose description is safe to show on `/readiness` (no hosts, no secrets).
protocol PublicReason: Error, CustomStringConvertible {}
