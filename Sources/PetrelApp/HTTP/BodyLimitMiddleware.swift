import Hummingbird

/// Refuses bodies larger than `MAX_BODY_BYTES`: at once when `Content-Length` says so, and as the
/// body is collected otherwise (Hummingbird enforces the context's `maxUploadSize`).
struct BodyLimitMiddleware: RouterMiddleware {
    typealias Context = PetrelRequestContext

    let maxBodyBytes: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > maxBodyBytes {
            throw APIError(.contentTooLarge, code: "payload_too_large", "the body is \(declared) bytes; the limit is \(maxBodyBytes) (MAX_BODY_BYTES)")
        }
        var context = context
        context.maxBodyBytes = maxBodyBytes
        return try await next(request, context)
    }
}
