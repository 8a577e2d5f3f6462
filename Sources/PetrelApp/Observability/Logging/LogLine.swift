import Foundation
import Logging

/// Renders one log line: a JSON object (`{"ts":…,"level":…,"msg":…, fields…}`) for
/// `LOG_FORMAT=json`, or `ts level msg key=value…` for a terminal. Fields come sorted by key, so
/// lines of one kind always list them in the same order.
enum LogLine {
    static func render(
        format: LogFormat, level: Logger.Level, message: String, fields: Logger.Metadata, at date: Date = Date()
    ) -> String {
        let timestamp = timestampStyle.format(date)
        switch format {
        case .json:
            var line = #"{"ts":"\#(timestamp)","level":"\#(level.rawValue)","msg":"#
            appendJSON(string: message, to: &line)
            for key in fields.keys.sorted() {
                line += ","
                appendJSON(string: key, to: &line)
                line += ":"
                appendJSON(fields[key]!, to: &line)
            }
            return line + "}\n"
        case .text:
            var line = "\(timestamp) \(level.rawValue) \(message)"
            for key in fields.keys.sorted() { line += " \(key)=\(fields[key]!)" }
            return line + "\n"
        }
    }

    private static let timestampStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    private static func appendJSON(_ value: Logger.MetadataValue, to line: inout String) {
        switch value {
        case .string(let string):
            appendJSON(string: string, to: &line)
        case .stringConvertible(let convertible):
            // Numbers stay numbers, so `status` and `duration_ms` can be compared in a log query.
            if let number = jsonNumber(convertible) { line += number } else { appendJSON(string: convertible.description, to: &line) }
        case .array(let values):
            line += "["
            for (index, element) in values.enumerated() {
                if index > 0 { line += "," }
                appendJSON(element, to: &line)
            }
            line += "]"
        case .dictionary(let dictionary):
            line += "{"
            for (index, key) in dictionary.keys.sorted().enumerated() {
                if index > 0 { line += "," }
                appendJSON(string: key, to: &line)
                line += ":"
                appendJSON(dictionary[key]!, to: &line)
            }
            line += "}"
        }
    }

    private static func jsonNumber(_ value: any CustomStringConvertible & Sendable) -> String? {
        switch value {
        case let integer as any BinaryInteger: integer.description
        case let double as Double where double.isFinite: double.description
        default: nil
        }
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped, nothing else.
    static func appendJSON(string: String, to line: inout String) {
        line += "\""
        var plainStart = string.unicodeScalars.startIndex
        for index in string.unicodeScalars.indices {
            let scalar = string.unicodeScalars[index]
            let escaped: String
            switch scalar {
            case "\"": escaped = "\\\""
            case "\\": escaped = "\\\\"
            case "\n": escaped = "\\n"
            case "\r": escaped = "\\r"
            case "\t": escaped = "\\t"
            case "\u{00}"..."\u{1F}", "\u{7F}": escaped = "\\u00" + (scalar.value < 16 ? "0" : "") + String(scalar.value, radix: 16)
            default: continue
            }
            line.unicodeScalars.append(contentsOf: string.unicodeScalars[plainStart..<index])
            line += escaped
            plainStart = string.unicodeScalars.index(after: index)
        }
        line.unicodeScalars.append(contentsOf: string.unicodeScalars[plainStart...])
        line += "\""
    }
}
