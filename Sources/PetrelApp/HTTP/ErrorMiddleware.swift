import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1

/// The one place errors become answers: every error a handler or store throws gets the one error
/// shape, with the request id. A path that exists under other methods gets 405 and `Allow`;
/// anything unexpected is logged and answered 500 without leaking its details.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = PetrelRequestContext

    let routes: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return answer(for: error, request, context).response(requestID: context.requestID)
        }
    }

    private func answer(for error: any Error, _ request: Request, _ context: Context) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as StoreError:
            return Self.answer(for: error)
        case let error as HTTPError:
            return answer(for: error, request)
        case let error as HTTPParserError:
            // The body stopped short: the client closed the connection (or timed out and was
            // closed). No one reads this answer; 499 (nginx's "client closed request") keeps it
            // out of the 5xx counts that page someone.
            guard error == .invalidEOFState else {
                return APIError.badRequest("the request body is not valid HTTP/1.1 (\(error))")
            }
            context.logger.info("client closed the connection before its request was read", metadata: ["path": .string(request.uri.path)])
            return APIError(Self.clientClosedRequest, code: "client_closed_request", "the connection ended before the request body was read")
        case is NIOTooManyBytesError:
            // A chunked body grew past the limit while it was collected.
            return APIError(.contentTooLarge, code: "payload_too_large", "the request body is larger than MAX_BODY_BYTES allows")
        case is DecodingError:
            return APIError.badRequest("the body is not the JSON this endpoint expects; see /openapi.yaml")
        default:
            context.logger.error("unhandled error", metadata: ["error": "\(error)", "path": .string(request.uri.path)])
            return APIError(.internalServerError, code: "internal_error", "an unexpected error occurred; it is logged under this request id")
        }
    }

    static let clientClosedRequest = HTTPResponse.Status(code: 499, reasonPhrase: "Client Closed Request")

    static func answer(for error: StoreError) -> APIError {
        switch error {
        case .preconditionFailed:
            APIError(
                .preconditionFailed, code: "precondition_failed",
                "the condition does not hold: the resource changed or is gone since you read it (If-Match), or exists already (If-None-Match: *); GET it for its current ETag and retry")
        case .unavailable(let dependency):
            // The cause stays in the service's log: it names internal hosts and ports.
            APIError(.serviceUnavailable, code: "dependency_unavailable", "\(dependency) is unavailable; retry shortly")
        case .refused(let dependency):
            APIError(
                .internalServerError, code: "internal_error",
                "\(dependency) refused the request; this is a bug or a misconfiguration, logged under this request id")
        }
    }

    private func answer(for error: HTTPError, _ request: Request) -> APIError {
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
