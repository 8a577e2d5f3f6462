import Foundation
import Hummingbird
import NIOFoundationCompat

/// A request body read as one flat JSON object, so that each bad input gets its own precise
/// error (not UTF-8 JSON, not strict JSON, not an object, a repeated or unknown field, wrong type,
/// out of range, not a whole number) instead of a decoder's generic message.
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
    /// Each field's value as written, so numbers are read exactly.
    private let texts: [String: String]

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
        let texts: [String: String]
        do {
            guard let members = try StrictJSON.objectMembers(Array(buffer: body)) else {
                throw APIError(.badRequest, code: "invalid_json", "the body must be a JSON object, like \(example)")
            }
            texts = members
        } catch let error as StrictJSON.Invalid {
            throw APIError(.badRequest, code: "invalid_json", "\(error); send an object like \(example)")
        }
        let fields: [String: Value]
        do {
            fields = try JSONDecoder().decode([String: Value].self, from: body)
        } catch {
            throw APIError(.badRequest, code: "invalid_json", "the body is not valid JSON; send an object like \(example)")
        }
        if let unknown = fields.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw Self.invalid("unknown field \"\(unknown)\"; the fields are \(allowed.sorted().joined(separator: ", "))")
        }
        self.fields = fields
        self.texts = texts
    }

    func population() throws -> Int64 {
        let message = "population must be a whole number from 0 to \(Population.range.upperBound)"
        guard let text = texts["population"] else { throw Self.invalid("population is missing; \(message)") }
        // Read from the text: a double would take 0.9999999999999999999 for 1.
        guard Self.isNumber(text), let value = StrictJSON.exactInteger(text), Population.range.contains(value) else {
            throw Self.invalid(message)
        }
        return value
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

    private static func isNumber(_ text: String) -> Bool {
        text.first.map { $0 == "-" || $0.isASCII && $0.isNumber } ?? false
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
