import Foundation
import Hummingbird
import NIOFoundationCompat

/// A request body read as one flat JSON object, so that each bad input gets its own precise
/// error (not UTF-8 JSON, not strict JSON, not an object, a repeated or unknown field, wrong type,
/// out of range, not a whole number) instead of a decoder's generic message.
struct JSONObjectBody {
    let fields: [String: StrictJSON.Member]

    /// Reads the body; `allowed` are the field names the endpoint knows.
    init(_ request: Request, context: PetrelRequestContext, allowed: Set<String>, example: String) async throws {
        if let contentType = request.headers[.contentType] {
            guard Self.isJSON(contentType) else {
                throw APIError(.unsupportedMediaType, code: "unsupported_media_type", "send the body as application/json, like \(example)")
            }
            guard Self.isUTF8(contentType) else {
                throw APIError(.unsupportedMediaType, code: "unsupported_media_type", "send the JSON as UTF-8 (charset=utf-8, or no charset)")
            }
        }
        var request = request
        let body = try await request.collectBody(upTo: context.maxUploadSize)
        let members: [String: StrictJSON.Member]?
        do {
            members = try StrictJSON.objectMembers(Array(buffer: body))
        } catch {
            throw APIError(.badRequest, code: "invalid_json", "\(error); send an object like \(example)")
        }
        guard let fields = members else {
            throw APIError(.badRequest, code: "invalid_json", "the body must be a JSON object, like \(example)")
        }
        if let unknown = fields.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw Self.invalid("unknown field \"\(unknown)\"; the fields are \(allowed.sorted().joined(separator: ", "))")
        }
        self.fields = fields
    }

    func population() throws -> Int64 {
        let message = "population must be a whole number from 0 to \(Population.range.upperBound)"
        switch fields["population"] {
        // Read from the digits: a double would take 0.9999999999999999999 for 1.
        case .number(let text):
            if let value = StrictJSON.exactInteger(text), Population.range.contains(value) { return value }
        case nil: throw Self.invalid("population is missing; \(message)")
        default: break
        }
        throw Self.invalid(message)
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

    /// JSON is UTF-8 (RFC 8259 §8.1); a charset parameter, when sent, must say so.
    private static func isUTF8(_ contentType: String) -> Bool {
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            if pair.count == 2, pair[0] == "charset" {
                return ["utf-8", "utf8", "\"utf-8\"", "us-ascii"].contains(pair[1])  // ASCII is UTF-8
            }
        }
        return true
    }

    private static func isJSON(_ contentType: String) -> Bool {
        let mediaType = (contentType.split(separator: ";").first ?? "").trimmingCharacters(in: .whitespaces).lowercased()
        return mediaType == "application/json" || mediaType.hasSuffix("+json")
    }
}
