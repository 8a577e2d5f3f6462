import HTTPTypes
import Hummingbird
import Logging

/// Turns every error a handler throws into the one error shape, with the request id. A path that
/// exists under other methods gets 405 and `Allow`; anything unexpected is logged and answered 500
/// without leaking its details.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = PetrelRequestContext

    let routes: RouteTable
    let logger: Logger

    @inline(__always)
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return error.response(requestID: context.requestID)
        } catch let error as HTTPError {
            return apiError(for: error, request).response(requestID: context.requestID)
        } catch is DecodingError {
            return APIError.badRequest("the body is not the JSON this endpoint expects; see /openapi.yaml")
                .response(requestID: context.requestID)
        } catch {
            logger.error(
                "unhandled error", metadata: ["error": "\(error)", "request_id": .string(context.requestID), "path": .string(request.uri.path)])
            return APIError(.internalServerError, code: "internal_error", "an unexpected error occurred; it is logged under this request id")
                .response(requestID: context.requestID)
        }
    }

    private func apiError(for error: HTTPError, _ request: Request) -> APIError {
        if error.status == .notFound {
            let allowed = routes.allowedMethods(for: request.uri.path)
            if !allowed.isEmpty {
                let list = allowed.map(\.rawValue).joined(separator: ", ")
                return APIError(
                    .methodNotAllowed, code: "method_not_allowed", "\(request.method.rawValue) is not allowed here; use \(list)",
                    headers: [.allow: list])
            }
        }
        return APIError(from: error)
    }
}
