import HTTPTypes
import Logging

/// Records every request once, wherever it was answered (the router's `TelemetryMiddleware` or
/// the event loop's `EventLoopResponder`): its duration in `http_server_request_duration_seconds`
/// (labelled by route template, never the raw path, so label cardinality stays bounded), the
/// in-flight gauge, and one log line. Probes and /metrics log at debug so a kubelet does not
/// flood the logs.
final class RequestTelemetry: Sendable {
    private let metrics: PetrelMetrics
    private let accessLog: AccessLog

    /// Routes polled by machines: counted, but logged only at debug.
    static let quietRoutes = Set(HealthRoutes.livenessPaths + HealthRoutes.readinessPaths + [MetricsRoutes.path])
    static let unmatchedRoute = "unmatched"

    init(metrics: PetrelMetrics, accessLog: AccessLog) {
        self.metrics = metrics
        self.accessLog = accessLog
    }

    func started() {
        metrics.activeRequests.increment()
    }

    func finished(
        method: HTTPRequest.Method, path: String, route: String, status: Int, duration: Duration, requestID: String
    ) {
        metrics.activeRequests.decrement()
        metrics.requestDuration(method: method, route: route, status: status).record(duration)
        let level: Logger.Level = Self.quietRoutes.contains(route) ? .debug : .info
        guard accessLog.logLevel <= level else { return }
        accessLog.write(
            level: level, method: method.rawValue, path: path, route: route, status: status, duration: duration,
            requestID: requestID)
    }
}
