import NIOHTTP1
import Tracing

/// Writes the current trace context (W3C `traceparent`, `tracestate`) into outgoing
/// AsyncHTTPClient headers, so a call to Elasticsearch continues the request's trace.
struct HTTPHeadersInjector: Injector {
    func inject(_ value: String, forKey key: String, into headers: inout HTTPHeaders) {
        headers.replaceOrAdd(name: key, value: value)
    }

    /// The injection hook for `ElasticsearchClient`.
    static let propagateCurrentContext: @Sendable (inout HTTPHeaders) -> Void = { headers in
        guard let context = ServiceContext.current else { return }
        InstrumentationSystem.instrument.inject(context, into: &headers, using: HTTPHeadersInjector())
    }
}
