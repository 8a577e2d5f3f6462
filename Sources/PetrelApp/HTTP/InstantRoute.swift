import Hummingbird

/// A GET route answered from memory: no request body, no query, no backend, no `await`. These are
/// the probes and the plain greeting: cheap to answer, so what the server around them costs is
/// most of what they cost. Each is served twice over from one definition: by the router like every
/// route, and straight from the connection's event loop by `EventLoopResponder`, which saves the
/// hop into Swift concurrency and back.
struct InstantRoute: Sendable {
    let path: String
    let respond: @Sendable (_ requestID: String) -> InstantResponse
}

/// A complete response, ready to write without an encoder or a body stream.
struct InstantResponse {
    let status: HTTPResponse.Status
    /// Everything but `Content-Length`, `X-Request-ID` and `Date`, which the server that answers adds.
    let headers: HTTPFields
    let body: ByteBuffer

    var response: Response {
        Response(status: status, headers: headers, body: .init(byteBuffer: body))
    }
}

extension Router where Context == PetrelRequestContext {
    func add(_ route: InstantRoute) {
        get(RouterPath(route.path)) { _, context in route.respond(context.requestID).response }
    }
}
