import Hummingbird

/// Requires an API key (see `APIKeys`) on every route of the group it is added to: the writes and
/// the operator switches. Checked before the body is read, so a refused request costs nothing.
struct APIKeyMiddleware: RouterMiddleware {
    typealias Context = PetrelRequestContext

    let keys: APIKeys

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        try keys.authorize(request)
        return try await next(request, context)
    }
}
