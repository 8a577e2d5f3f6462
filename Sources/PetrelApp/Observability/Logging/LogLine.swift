import Foundation
import Logging
import Synchronization

/// Renders one log line as UTF-8 bytes, the form `LogWriter` writes: a JSON object
/// (`{"ts":…,"level":…,"msg":…, fields…}`) for `LOG_FORMAT=json`, or `ts level msg key=value…`
/// for a terminal. Fields come in the order given; `PetrelLogHandler` sorts them by key, so lines
/// of one kind always list them in the same order.
enum LogLine {
    struct Field {
        let key: String
        let value: Logger.MetadataValue
    }

    static func render(format: LogFormat, level: Logger.Level, message: String, fields: [Field], at date: Date = Date()) -> [UInt8] {
        var line: [UInt8] = []
        line.reserveCapacity(256)
        switch format {
        case .json:
            line.append(utf8: #"{"ts":""#)
            Timestamp.shared.append(date, to: &line)
            line.append(utf8: #"","level":""#)
            line.append(utf8: level.rawValue)
            line.append(utf8: #"","msg":"#)
            appendJSON(string: message, to: &line)
            for field in fields {
                line.append(UInt8(ascii: ","))
                appendJSON(string: field.key, to: &line)
                line.append(UInt8(ascii: ":"))
                appendJSON(field.value, to: &line)
            }
            line.append(utf8: "}\n")
        case .text:
            Timestamp.shared.append(date, to: &line)
            line.append(utf8: " \(level.rawValue) \(message)")
            for field in fields { line.append(utf8: " \(field.key)=\(field.value)") }
            line.append(UInt8(ascii: "\n"))
        }
        return line
    }

    private static func appendJSON(_ value: Logger.MetadataValue, to line: inout [UInt8]) {
        switch value {
        case .string(let string):
            appendJSON(string: string, to: &line)
        case .stringConvertible(let convertible):
            // Numbers stay numbers, so `status` and `duration_ms` can be compared in a log query.
            if let number = jsonNumber(convertible) { line.append(utf8: number) } else { appendJSON(string: convertible.description, to: &line) }
        case .array(let values):
            line.append(UInt8(ascii: "["))
            for (index, element) in values.enumerated() {
                if index > 0 { line.append(UInt8(ascii: ",")) }
                appendJSON(element, to: &line)
            }
            line.append(UInt8(ascii: "]"))
        case .dictionary(let dictionary):
            line.append(UInt8(ascii: "{"))
            for (index, key) in dictionary.keys.sorted().enumerated() {
                if index > 0 { line.append(UInt8(ascii: ",")) }
                appendJSON(string: key, to: &line)
                line.append(UInt8(ascii: ":"))
                appendJSON(dictionary[key]!, to: &line)
            }
            line.append(UInt8(ascii: "}"))
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
    /// Byte by byte: every byte of a multi-byte UTF-8 sequence is 0x80 or above, so none is
    /// mistaken for one that needs escaping.
    static func appendJSON(string: String, to line: inout [UInt8]) {
        var string = string
        string.withUTF8 { bytes in
            line.append(UInt8(ascii: "\""))
            // Nearly every value needs no escaping: one pass finds out, and it is copied whole.
            if !bytes.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") || $0 == 0x7F }) {
                line.append(contentsOf: bytes)
            } else {
                for byte in bytes {
                    switch byte {
                    case UInt8(ascii: "\""): line.append(utf8: #"\""#)
                    case UInt8(ascii: "\\"): line.append(utf8: #"\\"#)
                    case UInt8(ascii: "\n"): line.append(utf8: #"\n"#)
                    case UInt8(ascii: "\r"): line.append(utf8: #"\r"#)
                    case UInt8(ascii: "\t"): line.append(utf8: #"\t"#)
                    case 0..<0x20, 0x7F:
                        let hexDigits: StaticString = "0123456789abcdef"
                        line.append(utf8: #"\u00"#)
                        line.append(hexDigits.utf8Start[Int(byte >> 4)])
                        line.append(hexDigits.utf8Start[Int(byte & 0xf)])
                    default: line.append(byte)
                    }
                }
            }
            line.append(UInt8(ascii: "\""))
        }
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

        func append(_ date: Date, to line: inout [UInt8]) {
            let milliseconds = Int((date.timeIntervalSince1970 * 1000).rounded(.down))
            let second = milliseconds / 1000  // log times are after 1970: plain division floors
            let prefix = cache.withLock { cache in
                if cache.second != second {
                    cache = (second, String(style.format(Date(timeIntervalSince1970: Double(second))).dropLast()))
                }
                return cache.text
            }
            let fraction = milliseconds - second * 1000
            // 1000 + fraction prints four digits: the last three are the milliseconds, zero-padded.
            line.append(utf8: "\(prefix).\(String(1000 + fraction).dropFirst())Z")
        }
    }
}

extension [UInt8] {
    /// Appends a string's UTF-8 bytes in one copy (appending `string.utf8` goes byte by byte).
    mutating func append(utf8 string: String) {
        var string = string
        string.withUTF8 { append(contentsOf: $0) }
    }
}
