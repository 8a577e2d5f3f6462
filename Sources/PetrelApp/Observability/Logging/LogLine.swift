import Foundation
import Logging
import Synchronization

/// Renders one log line: a JSON object (`{"ts":…,"level":…,"msg":…, fields…}`) for
/// `LOG_FORMAT=json`, or `ts level msg key=value…` for a terminal. Fields come sorted by key, so
/// lines of one kind always list them in the same order.
enum LogLine {
    static func render(
        format: LogFormat, level: Logger.Level, message: String, fields: Logger.Metadata, at date: Date = Date()
    ) -> String {
        let timestamp = Timestamp.shared.format(date)
        switch format {
        case .json:
            var line = #"{"ts":"\#(timestamp)","level":"\#(level.rawValue)","msg":"#
            line.reserveCapacity(256)
            appendJSON(string: message, to: &line)
            for (key, value) in fields.sorted(by: { $0.key < $1.key }) {
                line += ","
                appendJSON(string: key, to: &line)
                line += ":"
                appendJSON(value, to: &line)
            }
            line += "}\n"
            return line
        case .text:
            var line = "\(timestamp) \(level.rawValue) \(message)"
            for key in fields.keys.sorted() { line += " \(key)=\(fields[key]!)" }
            return line + "\n"
        }
    }

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

    /// Concrete types first: a cast to `any BinaryInteger` costs more than the rest of a field.
    private static func jsonNumber(_ value: any CustomStringConvertible & Sendable) -> String? {
        switch value {
        case let integer as Int: integer.description
        case let double as Double where double.isFinite: double.description
        case let integer as any BinaryInteger: integer.description
        default: nil
        }
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped, nothing else.
    static func appendJSON(string: String, to line: inout String) {
        line += "\""
        // Nearly every value needs no escaping: one pass over the bytes finds out.
        if !string.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") || $0 == 0x7F }) {
            line += string
            line += "\""
            return
        }
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

extension LogLine {
    /// `2026-12-04T16:45:12.345Z`: the part up to the seconds is formatted once per second (a
    /// Foundation date format per line was a third of a request's cost), the milliseconds per line.
    final class Timestamp: Sendable {
        static let shared = Timestamp()
        private let style = Date.ISO8601FormatStyle()
        /// The last second formatted, and its text without the trailing `Z`.
        private let cache = Mutex<(second: Int, text: String)>((.min, ""))

        func format(_ date: Date) -> String {
            let milliseconds = Int((date.timeIntervalSince1970 * 1000).rounded(.down))
            let second = milliseconds / 1000  // log times are after 1970: plain division floors
            let prefix = cache.withLock { cache in
                if cache.second != second {
                    cache = (second, String(style.format(Date(timeIntervalSince1970: Double(second))).dropLast()))
                }
                return cache.text
            }
            let fraction = milliseconds - second * 1000
            return prefix + (fraction < 10 ? ".00" : fraction < 100 ? ".0" : ".") + String(fraction) + "Z"
        }
    }
}
