import Hummingbird
import Logging

/// Records every request once: its duration in `http_server_request_duration_seconds` (labelled
/// by route template, never the raw path, so label cardinality stays bounded), the in-flight
/// gauge, and one log line. Probes and /metrics log at debug so a kubelet does not flood the logs.
struct TelemetryMiddleware: RouterMiddleware {
    typealias Context = PetrelRequestContext

    let metrics: PetrelMetrics
    let accessLog: AccessLog

    /// Routes polled by machines: counted, but logged only at debug.
    static let quietRoutes = Set(HealthRoutes.livenessPaths + HealthRoutes.readinessPaths + [MetricsRoutes.path])
    static let unmatchedRoute = "unmatched"

    @inline(__always)
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        metrics.activeRequests.increment()
        defer { metrics.activeRequests.decrement() }
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            // The error middleware answers every error; this only keeps the books straight if one escapes.
            record(request, context, status: 500, duration: ContinuousClock.now - start)
            throw error
        }
        record(request, context, status: response.status.code, duration: ContinuousClock.now - start)
        return response
    }

    private func record(_ request: Request, _ context: Context, status: Int, duration: Duration) {
        let route = context.endpointPath.flatMap { $0 == "NotFound" ? nil : $0 } ?? Self.unmatchedRoute
        metrics.requestDuration(method: request.method, route: route, status: status).record(duration)
        let level: Logger.Level = Self.quietRoutes.contains(route) ? .debug : .info
        guard accessLog.logLevel <= level else { return }
        accessLog.write(
            level: level, method: request.method.rawValue, path: request.uri.path, route: route, status: status,
            duration: duration, requestID: context.requestID)
    }
}
