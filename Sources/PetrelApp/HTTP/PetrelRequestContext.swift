public import Hummingbird

/// The request context every route and middleware sees: Hummingbird's core storage plus the
/// request id and the body limit, both set by middleware before any handler runs.
public struct PetrelRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The `X-Request-ID` of this request: the caller's when valid, else a new one. Also on
    /// `logger` as `request_id`, so every line logged for the request carries it.
    public var requestID: String = ""
    /// `MAX_BODY_BYTES`; Hummingbird refuses larger bodies with 413 as they are collected.
    public var maxBodyBytes: Int = 65536

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
    }

    public var maxUploadSize: Int { maxBodyBytes }

    public var responseEncoder: JSONBody { JSONBody() }
}
