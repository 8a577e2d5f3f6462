import Foundation
import HTTPTypes
import NIOConcurrencyHelpers
public import Prometheus

/// The service's Prometheus metrics, one registry per application instance. Names and labels are
/// the contract (docs/contract.md): alerts and dashboards query exactly these. Metrics are made on the
/// registry directly (not through the swift-metrics facade) so that every one carries HELP text.
public final class PetrelMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry

    static let durationBuckets: [Duration] = [
        .milliseconds(1), .microseconds(2500), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
        .milliseconds(2500), .seconds(5), .seconds(10),
    ]

    let activeRequests: Gauge
    let hits: Counter
    let apiKeysReloadFailures: Counter
    let counterResets: Counter
    private let apiKeysLastLoad: Gauge
    private let ready: Gauge
    private let uptime: Gauge
    private let requestDurations = NIOLockedValueBox([RequestKey: DurationHistogram]())
    private let dependencyUp = NIOLockedValueBox([String: Gauge]())
    private let dependencyDurations = NIOLockedValueBox([DependencyKey: DurationHistogram]())
    private let process = ProcessMetrics()

    private struct RequestKey: Hashable {
        let method: HTTPRequest.Method
        let route: String
        let status: Int
    }

    private struct DependencyKey: Hashable {
        let dependency: String
        let operation: String
        let outcome: String
    }

    public init(version: String, environment: String, pod: String, node: String) {
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        activeRequests = registry.makeGauge(
            descriptor: .init(metricName: "http_server_active_requests", unitName: "", helpText: "Requests being served now."))
        hits = registry.makeCounter(
            descriptor: .init(metricName: "petrel_hits", unitName: "total", helpText: "Hit-counter increments served by this process."))
        apiKeysReloadFailures = registry.makeCounter(
            descriptor: .init(
                metricName: "petrel_api_keys_reload_failures", unitName: "total",
                helpText: "Reloads of API_KEYS_FILE that failed (unreadable or invalid file); the previous keys stay in use."))
        counterResets = registry.makeCounter(
            descriptor: .init(
                metricName: "petrel_hits_resets", unitName: "total",
                helpText: "Times the Redis hit counter was found lower than before (its key gone or reset): numbers were handed out again."))
        apiKeysLastLoad = registry.makeGauge(
            descriptor: .init(
                metricName: "petrel_api_keys_last_load_timestamp", unitName: "seconds",
                helpText: "Unix time API_KEYS_FILE was last loaded successfully; 0 before the first load."))
        ready = registry.makeGauge(
            descriptor: .init(metricName: "petrel_ready", unitName: "", helpText: "1 while the readiness probe answers 200."))
        uptime = registry.makeGauge(
            descriptor: .init(metricName: "petrel_uptime", unitName: "seconds", helpText: "Seconds since the process started."))
        registry.makeGauge(
            descriptor: .init(metricName: "petrel_build_info", unitName: "", helpText: "Always 1; the labels describe the build and where it runs."),
            labels: [("version", version), ("environment", environment), ("pod", pod), ("node", node)]
        ).set(1.0)
    }

    func apiKeysLoaded() {
        apiKeysLastLoad.set(Date().timeIntervalSince1970)
    }

    /// The duration histogram for one method, route template and status; cached, because it is
    /// looked up on every request and the registry's own lookup builds label arrays.
    func requestDuration(method: HTTPRequest.Method, route: String, status: Int) -> DurationHistogram {
        let key = RequestKey(method: method, route: route, status: status)
        if let histogram = requestDurations.withLockedValue({ $0[key] }) {
            return histogram
        }
        let histogram = registry.makeDurationHistogram(
            descriptor: .init(metricName: "http_server_request_duration", unitName: "seconds", helpText: "Time to answer an HTTP request."),
            labels: [("method", method.rawValue), ("route", route), ("status", String(status))],
            buckets: Self.durationBuckets
        )
        requestDurations.withLockedValue { $0[key] = histogram }
        return histogram
    }

    /// Records whether a backend passed its last check.
    public func setDependency(_ dependency: String, up: Bool) {
        let gauge = dependencyUp.withLockedValue { gauges in
            if let gauge = gauges[dependency] { return gauge }
            let gauge = registry.makeGauge(
                descriptor: .init(metricName: "petrel_dependency_up", unitName: "", helpText: "1 when the backend passed its last check."),
                labels: [("dependency", dependency)])
            gauges[dependency] = gauge
            return gauge
        }
        gauge.set(up ? 1.0 : 0.0)
    }

    /// Records one call to a backend. `outcome` is success, error or timeout.
    public func recordDependencyCall(_ dependency: String, operation: String, outcome: String, duration: Duration) {
        let key = DependencyKey(dependency: dependency, operation: operation, outcome: outcome)
        let histogram = dependencyDurations.withLockedValue { histograms in
            if let histogram = histograms[key] { return histogram }
            let histogram = registry.makeDurationHistogram(
                descriptor: .init(metricName: "petrel_dependency_request_duration", unitName: "seconds", helpText: "Time of one call to a backend."),
                labels: [("dependency", dependency), ("operation", operation), ("outcome", outcome)],
                buckets: Self.durationBuckets)
            histograms[key] = histogram
            return histogram
        }
        histogram.record(duration)
    }

    /// The Prometheus text exposition, with the gauges that are sampled rather than counted
    /// brought up to date first.
    func exposition(isReady: Bool, uptime seconds: Double) -> [UInt8] {
        ready.set(isReady ? 1.0 : 0.0)
        uptime.set(seconds)
        var output: [UInt8] = []
        output.reserveCapacity(16 * 1024)
        registry.emit(into: &output)
        process.emit(into: &output)
        return output
    }
}
