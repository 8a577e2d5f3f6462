import Foundation
import Yams

/// A JSON (or YAML) value, for comparing what the service answers with what `openapi.yaml` says.
indirect enum JSONValue: Decodable, Equatable, CustomStringConvertible {
    case null, bool(Bool), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    static func json(_ data: Data) throws -> JSONValue { try JSONDecoder().decode(JSONValue.self, from: data) }
    static func yaml(_ text: String) throws -> JSONValue { try YAMLDecoder().decode(JSONValue.self, from: text) }

    subscript(key: String) -> JSONValue? {
        if case .object(let object) = self { object[key] } else { nil }
    }

    var string: String? { if case .string(let value) = self { value } else { nil } }
    var object: [String: JSONValue]? { if case .object(let value) = self { value } else { nil } }
    var array: [JSONValue]? { if case .array(let value) = self { value } else { nil } }

    var description: String {
        switch self {
        case .null: "null"
        case .bool(let value): "\(value)"
        case .number(let value): "\(value)"
        case .string(let value): "\"\(value)\""
        case .array(let values): "[\(values.map(\.description).joined(separator: ","))]"
        case .object(let object): "{\(object.keys.sorted().map { "\"\($0)\":\(object[$0]!)" }.joined(separator: ","))}"
        }
    }
}

/// The part of JSON Schema (2020-12, as OpenAPI 3.1 uses it) that `openapi.yaml` uses: `$ref`
/// within the document, `type`, `const`, `enum`, `required`, `properties`, `additionalProperties`,
/// `items`, `minimum`, `maximum`, `minLength`, `maxLength`, `pattern`, `oneOf`, `anyOf` (plus the
/// annotations `description`, `example`, `examples`, `format`). A keyword it does not know fails
/// the check, so the document cannot outgrow what is checked.
struct JSONSchemaValidator {
    let document: JSONValue

    static let known: Set<String> = [
        "$ref", "type", "const", "enum", "required", "properties", "additionalProperties", "items", "minimum", "maximum",
        "minLength", "maxLength", "pattern", "oneOf", "anyOf", "description", "example", "examples", "format",
    ]

    /// Follows a `#/…` pointer within the document.
    func resolve(_ reference: String) -> JSONValue? {
        guard reference.hasPrefix("#/") else { return nil }
        var node: JSONValue? = document
        for part in reference.dropFirst(2).split(separator: "/") {
            node = node?[String(part).replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")]
        }
        return node
    }

    /// The problems with `value`, empty when it conforms.
    func problems(_ value: JSONValue, _ schema: JSONValue, at path: String = "$") -> [String] {
        guard let keywords = schema.object else { return ["\(path): schema is not an object"] }
        if let unknown = keywords.keys.first(where: { !Self.known.contains($0) }) {
            return ["\(path): the schema uses \(unknown), which this check does not know"]
        }
        var problems: [String] = []
        if let reference = keywords["$ref"]?.string {
            guard let target = resolve(reference) else { return ["\(path): unresolvable $ref \(reference)"] }
            problems += self.problems(value, target, at: path)
        }
        if let type = keywords["type"] {
            let allowed = type.array?.compactMap(\.string) ?? type.string.map { [$0] } ?? []
            if !allowed.contains(where: { Self.has(value, type: $0) }) { problems.append("\(path): \(value) is not \(allowed)") }
        }
        if let constant = keywords["const"], constant != value { problems.append("\(path): \(value) is not \(constant)") }
        if let choices = keywords["enum"]?.array, !choices.contains(value) { problems.append("\(path): \(value) is not one of \(choices)") }
        if case .object(let object) = value {
            for name in keywords["required"]?.array?.compactMap(\.string) ?? [] where object[name] == nil {
                problems.append("\(path): \(name) is missing")
            }
            let properties = keywords["properties"]?.object ?? [:]
            for (name, member) in object {
                if let property = properties[name] {
                    problems += self.problems(member, property, at: "\(path).\(name)")
                } else if let additional = keywords["additionalProperties"] {
                    if additional == .bool(false) {
                        problems.append("\(path): \(name) is not a documented property")
                    } else if additional != .bool(true) {
                        problems += self.problems(member, additional, at: "\(path).\(name)")
                    }
                }
            }
        }
        if case .array(let elements) = value, let items = keywords["items"] {
            for (index, element) in elements.enumerated() { problems += self.problems(element, items, at: "\(path)[\(index)]") }
        }
        if case .number(let number) = value {
            if case .number(let minimum)? = keywords["minimum"], number < minimum { problems.append("\(path): \(number) < \(minimum)") }
            if case .number(let maximum)? = keywords["maximum"], number > maximum { problems.append("\(path): \(number) > \(maximum)") }
        }
        if case .string(let string) = value {
            let length = string.unicodeScalars.count
            if case .number(let minimum)? = keywords["minLength"], Double(length) < minimum { problems.append("\(path): too short") }
            if case .number(let maximum)? = keywords["maxLength"], Double(length) > maximum { problems.append("\(path): too long") }
            if let pattern = keywords["pattern"]?.string, string.range(of: pattern, options: .regularExpression) == nil {
                problems.append("\(path): \(value) does not match \(pattern)")
            }
        }
        if let options = keywords["oneOf"]?.array {
            let matching = options.filter { self.problems(value, $0, at: path).isEmpty }.count
            if matching != 1 { problems.append("\(path): \(value) matches \(matching) of oneOf, not exactly one") }
        }
        if let options = keywords["anyOf"]?.array, !options.contains(where: { self.problems(value, $0, at: path).isEmpty }) {
            problems.append("\(path): \(value) matches none of anyOf")
        }
        return problems
    }

    private static func has(_ value: JSONValue, type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("number", .number), ("string", .string), ("array", .array), ("object", .object): true
        case ("integer", .number(let number)): number.rounded() == number
        default: false
        }
    }
}
