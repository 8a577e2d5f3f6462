import Foundation
public import Hummingbird
import NIOFoundationCompat

/// JSON response bodies, encoded the same way everywhere: keys sorted (the same bytes for the same
/// answer, in every process), one trailing newline (so `curl` output ends cleanly). Also the request context's response encoder, so a
/// handler that returns a `ResponseEncodable` value gets the same bytes.
public struct JSONBody: ResponseEncoder {
    public init() {}

    public func encode(_ value: some Encodable, from request: Request, context: some RequestContext) throws -> Response {
        Self.response(value)
    }

    static func encode(_ value: some Encodable) -> ByteBuffer {
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            var data = try encoder.encode(value)
            data.append(UInt8(ascii: "\n"))
            return ByteBuffer(data: data)
        } catch {
            // Only the service's own plain structs get here, and they always encode.
            preconditionFailure("cannot encode \(type(of: value)) as JSON: \(error)")
        }
    }

    static func response(
        _ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]
    ) -> Response {
        response(encoded: encode(value), status: status, headers: headers)
    }

    /// A response with a body `encode` produced earlier.
    static func response(encoded body: ByteBuffer, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: body))
    }
}
