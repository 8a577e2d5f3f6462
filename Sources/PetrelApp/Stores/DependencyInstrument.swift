import ElasticsearchClient
import RedisClient
import Tracing

/// An error a store answers with on purpose (a failed `If-Match`): the backend worked, so it is
/// passed through as it is and the call counts as a success.
protocol StoreAnswer: Error {}
extension CityStoreError: StoreAnswer {}

/// Times every call to a backend in `petrel_dependency_request_duration_seconds`, wraps it in a
/// client span when tracing is on, and turns its failures into 503 `dependency_unavailable`,
/// bounded by the backend's own timeout.
struct DependencyInstrument: Sendable {
    let dependency: String
    let metrics: PetrelMetrics
    let tracing: Bool

    func call<Value>(_ operation: String, _ body: () async throws -> Value) async throws -> Value {
        guard tracing else { return try await measured(operation, body) }
        return try await withSpan("\(dependency) \(operation)", ofKind: .client) { span in
            span.attributes["db.system.name"] = dependency
            span.attributes["db.operation.name"] = operation
            return try await measured(operation, body)
        }
    }

    private func measured<Value>(_ operation: String, _ body: () async throws -> Value) async throws -> Value {
        let start = ContinuousClock.now
        do {
            let value = try await body()
            metrics.recordDependencyCall(dependency, operation: operation, outcome: "success", duration: .now - start)
            return value
        } catch let answer as StoreAnswer {
            metrics.recordDependencyCall(dependency, operation: operation, outcome: "success", duration: .now - start)
            throw answer
        } catch {
            let outcome = Self.isTimeout(error) ? "timeout" : "error"
            metrics.recordDependencyCall(dependency, operation: operation, outcome: outcome, duration: .now - start)
            throw APIError.dependencyUnavailable(dependency, "\(error)")
        }
    }

    private static func isTimeout(_ error: any Error) -> Bool {
        switch error {
        case is TimeoutError, RedisError.timeout, ElasticsearchError.timeout: true
        default: false
        }
    }
}
