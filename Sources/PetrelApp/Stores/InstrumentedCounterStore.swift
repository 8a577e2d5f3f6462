import RedisClient

/// Times every call to the backend in `petrel_dependency_request_duration_seconds` and turns
/// its failures into 503 `dependency_unavailable`, bounded by the backend's own timeout.
struct InstrumentedCounterStore: CounterStore {
    let base: any CounterStore
    let dependency: String
    let metrics: PetrelMetrics

    func increment() async throws -> Int64 {
        try await call("increment") { try await base.increment() }
    }

    func current() async throws -> Int64 {
        try await call("current") { try await base.current() }
    }

    private func call(_ operation: String, _ body: () async throws -> Int64) async throws -> Int64 {
        let start = ContinuousClock.now
        do {
            let value = try await body()
            metrics.recordDependencyCall(dependency, operation: operation, outcome: "success", duration: .now - start)
            return value
        } catch {
            let outcome = Self.isTimeout(error) ? "timeout" : "error"
            metrics.recordDependencyCall(dependency, operation: operation, outcome: outcome, duration: .now - start)
            throw APIError.dependencyUnavailable(dependency, "\(error)")
        }
    }

    private static func isTimeout(_ error: any Error) -> Bool {
        if error is TimeoutError { return true }
        if case RedisError.timeout = error { return true }
        return false
    }
}
