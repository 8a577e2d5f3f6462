import ElasticsearchClient
import Logging
import RedisClient
import Tracing

/// Times every call to a backend in `petrel_dependency_request_duration_seconds`, wraps it in a
/// client span when tracing is on, and (`call`) turns its failures into `StoreError.unavailable`,
/// bounded by the backend's own timeout. The cause is logged, never sent to the client. A
/// request the backend refused as malformed is no outage: that is `StoreError.refused`.
struct DependencyInstrument: Sendable {
    let dependency: String
    let metrics: PetrelMetrics
    let tracing: Bool
    let logger: Logger
    private let throttle = LogThrottle()

    init(dependency: String, metrics: PetrelMetrics, tracing: Bool, logger: Logger) {
        self.dependency = dependency
        self.metrics = metrics
        self.tracing = tracing
        self.logger = logger
    }

    func call<Value>(_ operation: String, _ body: () async throws -> Value) async throws -> Value {
        do {
            return try await timed(operation, body)
        } catch StoreError.preconditionFailed {
            throw StoreError.preconditionFailed
        } catch {
            throttle { suppressed in
                logger.warning(
                    "dependency call failed",
                    metadata: [
                        "dependency": "\(dependency)", "operation": "\(operation)", "error": "\(error)",
                        "similar_lines_suppressed": "\(suppressed)",
                    ])
            }
            throw Self.isRefusedRequest(error) ? StoreError.refused(dependency: dependency) : StoreError.unavailable(dependency: dependency)
        }
    }

    /// Times the call and traces it, and nothing more: its error passes through as it is, for a
    /// caller that handles failures itself (the city cache falls back to the store).
    func timed<Value>(_ operation: String, _ body: () async throws -> Value) async throws -> Value {
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
        } catch {
            let outcome = error as? StoreError == .preconditionFailed ? "success" : Self.isTimeout(error) ? "timeout" : "error"
            metrics.recordDependencyCall(dependency, operation: operation, outcome: outcome, duration: .now - start)
            throw error
        }
    }

    /// Elasticsearch answered 4xx for a reason other than load, a lost race or a missing index
    /// (which the readiness check creates again: an outage, not a bug).
    private static func isRefusedRequest(_ error: any Error) -> Bool {
        guard let error = error as? ElasticsearchError, case .server(let status, _, _) = error else { return false }
        return (400..<500).contains(status) && ![408, 409, 429].contains(status) && !error.isIndexNotFound
    }

    static func isTimeout(_ error: any Error) -> Bool {
        switch error {
        case is TimeoutError, RedisError.timeout, ElasticsearchError.timeout: true
        default: false
        }
    }
}
