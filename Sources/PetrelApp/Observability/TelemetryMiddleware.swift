import Hummingbird
import Logging

/// Records every request once: its duration in `http_server_request_duration_seconds` (labelled by
/// route template, never the raw path, so label cardinality stays bounded), the in-flight gauge,
/// and one `request` log line on the request's logger (which carries `request_id`, and the trace
/// and span ids when tracing is on). Probes and /metrics log at debug so a kubelet does not flood
/// the logs.
struct TelemetryMiddleware: RouterMiddleware {
    typealias Context = PetrelRequestContext

    let metrics: PetrelMetrics

    /// Routes polled by machines: counted, but logged only at debug.
    static let quietRoutes = Set(HealthRoutes.livenessPaths + HealthRoutes.readinessPaths + [MetricsRoutes.path])
    static let unmatchedRoute = "unmatched"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        metrics.activeRequests.increment()
        defer { metrics.activeRequests.decrement() }
        do {
            let response = try await next(request, context)
            finished(request, context, status: response.status.code, duration: .now - start)
            return response
        } catch {
            // The error middleware answers every error; this only keeps the books straight if one escapes.
            finished(request, context, status: 500, duration: .now - start)
            throw error
        }
    }

    private func finished(_ request: Request, _ context: Context, status: Int, duration: Duration) {
        let route = context.endpointPath.flatMap { $0 == "NotFound" ? nil : $0 } ?? Self.unmatchedRoute
        metrics.requestDuration(method: request.method, route: route, status: status).record(duration)
        context.logger.log(
            level: Self.quietRoutes.contains(route) ? .debug : .info, "request",
            metadata: [
                "method": .string(request.method.rawValue), "path": .string(request.uri.path), "route": .string(route),
                "status": .stringConvertible(status), "duration_ms": .stringConvertible(duration.milliseconds),
            ])
    }
}

extension Duration {
    /// Milliseconds to the microsecond, as log lines show durations.
    var milliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1_000 + Double(attoseconds / 1_000_000_000_000) / 1_000
    }
}
