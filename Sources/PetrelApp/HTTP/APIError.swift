public import HTTPTypes
import Hummingbird

/// An error answered with the service's one error shape:
/// `{"error": {"code": "not_found", "message": "…", "request_id": "…"}}`.
/// `code` is a stable machine-readable word; `message` says what went wrong and what to do.
public struct APIError: Error, Sendable {
    public let status: HTTPResponse.Status
    public let code: String
    public let message: String
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, code: String, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    public static func badRequest(_ message: String) -> APIError {
        APIError(.badRequest, code: "invalid_request", message)
    }

    /// The error shape for a status Hummingbird raised itself (unknown route, body too large, …).
    init(from error: HTTPError) {
        let (code, message): (String, String) =
            switch error.status {
            case .notFound: ("not_found", "no such resource; see /openapi.yaml for the API")
            case .contentTooLarge: ("payload_too_large", "the request body is larger than MAX_BODY_BYTES allows")
            case .badRequest: ("invalid_request", error.body ?? "the request could not be read")
            case .unsupportedMediaType: ("unsupported_media_type", error.body ?? "send application/json")
            default: (Self.code(for: error.status), error.body ?? error.status.reasonPhrase)
            }
        self.init(error.status, code: code, message, headers: error.headers)
    }

    static func code(for status: HTTPResponse.Status) -> String {
        status.reasonPhrase.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber }).joined(separator: "_")
    }

    func response(requestID: String) -> Response {
        var headers = self.headers
        headers[.contentType] = "application/json"
        let body = Body(error: .init(code: code, message: message, request_id: requestID))
        return Response(status: status, headers: headers, body: .init(byteBuffer: JSONBody.encode(body)))
    }

    struct Body: Codable {
        struct Detail: Codable {
            let code: String
            let message: String
            let request_id: String
        }
        let error: Detail
    }
}
