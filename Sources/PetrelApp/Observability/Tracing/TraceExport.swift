public import Logging
import OTel
public import ServiceLifecycle
import Tracing

/// OpenTelemetry traces, exported over OTLP/HTTP only when `OTEL_EXPORTER_OTLP_ENDPOINT` is set.
/// Off, nothing is bootstrapped and no tracing middleware or span is installed, so it costs
/// nothing. The other standard `OTEL_*` variables (headers, protocol, sampler, resource
/// attributes, batch settings) are read by swift-otel itself.
public enum TraceExport {
    /// Bootstraps the process-wide tracer and returns the service that batches and exports spans;
    /// run it before the application and stop it after, so the last spans are flushed. Call it
    /// once per process (the instrumentation system can be bootstrapped only once).
    public static func bootstrap(_ configuration: PetrelConfiguration, logger: Logger) throws -> (any Service)? {
        guard let endpoint = configuration.otlpEndpoint else { return nil }
        var otel = OTel.Configuration.default
        otel.serviceName = configuration.otelServiceName
        otel.traces.enabled = true
        otel.metrics.enabled = false
        otel.logs.enabled = false
        // The signal path is appended as the OTLP spec says for the generic endpoint (swift-otel
        // would do so only when it read the variable itself, which misses the command-line flag).
        // OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, when set, still wins.
        otel.traces.otlpExporter.endpoint = endpoint.hasSuffix("/") ? endpoint + "v1/traces" : endpoint + "/v1/traces"
        // Short export deadlines: the last flush happens inside SHUTDOWN_TIMEOUT_SECONDS, and an
        // unreachable collector must not turn a clean shutdown into a forced one.
        otel.traces.otlpExporter.timeout = .seconds(2)
        otel.traces.batchSpanProcessor.exportTimeout = .seconds(2)
        otel.diagnosticLogger = .custom(logger)
        let identity = configuration.identity
        for (key, value) in [("k8s.pod.name", identity.pod), ("k8s.node.name", identity.node), ("k8s.namespace.name", identity.namespace)]
        where !value.isEmpty {
            otel.resourceAttributes[key] = value
        }
        let backend = try OTel.makeTracingBackend(configuration: otel)
        InstrumentationSystem.bootstrap(backend.factory)
        logger.notice("tracing: exporting spans over OTLP", metadata: ["endpoint": "\(endpoint)", "service": "\(configuration.otelServiceName)"])
        return backend.service
    }

    /// Adds `trace_id` and `span_id` of the current span to every log line.
    static var logMetadata: Logger.MetadataProvider { OTel.makeLoggingMetadataProvider() }
}
