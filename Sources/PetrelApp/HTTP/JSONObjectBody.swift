import Foundation
import Hummingbird
import NIOFoundationCompat

/// A request body read as one flat JSON object, so that each bad input gets its own precise
/// error (not JSON, not an object, unknown field, wrong type, out of range) instead of a
/// decoder's generic message.
struct JSONObjectBody {
    enum Value: Decodable {
        case integer(Int64), number(Double), string(String), bool(Bool), null, compound

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() {
                self = .null
            } else if let value = try? container.decode(Bool.self) {
                self = .bool(value)
            } else if let value = try? container.decode(Int64.self) {
                self = .integer(value)
            } else if let value = try? container.decode(Double.self) {
                self = .number(value)
            } else if let value = try? container.decode(String.self) {
                self = .string(value)
            } else {
                self = .compound
            }
        }
    }

    let fields: [String: Value]

    /// Reads the body; `allowed` are the field names the endpoint knows.
    init(_ request: Request, context: PetrelRequestContext, allowed: Set<String>, example: String) async throws {
        if let contentType = request.headers[.contentType], !Self.isJSON(contentType) {
            throw APIError(.unsupportedMediaType, code: "unsupported_media_type", "send the body as application/json, like \(example)")
        }
        var request = request
        let body = try await request.collectBody(upTo: context.maxUploadSize)
        let fields: [String: Value]
        do {
            fields = try JSONDecoder().decode([String: Value].self, from: body)
        } catch DecodingError.typeMismatch {
            throw APIError(.badRequest, code: "invalid_json", "the body must be a JSON object, like \(example)")
        } catch {
            throw APIError(.badRequest, code: "invalid_json", "the body is not valid JSON; send an object like \(example)")
        }
        if let unknown = fields.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw Self.invalid("unknown field \"\(unknown)\"; the fields are \(allowed.sorted().joined(separator: ", "))")
        }
        self.fields = fields
    }

    func population() throws -> Int64 {
        let message = "population must be a whole number from 0 to \(Population.range.upperBound)"
        switch fields["population"] {
        case .integer(let value) where Population.range.contains(value): return value
        case nil: throw Self.invalid("population is missing; \(message)")
        default: throw Self.invalid(message)
        }
    }

    func string(_ name: String) throws -> String {
        switch fields[name] {
        case .string(let value): return value
        case nil: throw Self.invalid("\(name) is missing")
        default: throw Self.invalid("\(name) must be a string")
        }
    }

    static func invalid(_ message: String) -> APIError {
        APIError(.unprocessableContent, code: "validation_failed", message)
    }

    private static func isJSON(_ contentType: String) -> Bool {
        let mediaType = (contentType.split(separator: ";").first ?? "").trimmingCharacters(in: .whitespaces).lowercased()
        return mediaType == "application/json" || mediaType.hasSuffix("+json")
    }
}
