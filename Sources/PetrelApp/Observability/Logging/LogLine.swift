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
            line += #"{"ts":""#.utf8
            Timestamp.shared.append(date, to: &line)
            line += #"","level":""#.utf8
            line += level.rawValue.utf8
            line += #"","msg":"#.utf8
            appendJSON(string: message, to: &line)
            for field in fields {
                line.append(UInt8(ascii: ","))
                appendJSON(string: field.key, to: &line)
                line.append(UInt8(ascii: ":"))
                appendJSON(field.value, to: &line)
            }
            line += "}\n".utf8
        case .text:
            Timestamp.shared.append(date, to: &line)
            line += " \(level.rawValue) \(message)".utf8
            for field in fields { line += " \(field.key)=\(field.value)".utf8 }
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
            if let number = jsonNumber(convertible) { line += number.utf8 } else { appendJSON(string: convertible.description, to: &line) }
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

    private static let hexDigits: StaticString = "0123456789abcdef"

    /// A JSON string literal: quotes, backslashes and control characters escaped, nothing else.
    /// Byte by byte: every byte of a multi-byte UTF-8 sequence is 0x80 or above, so none is
    /// mistaken for one that needs escaping.
    static func appendJSON(string: String, to line: inout [UInt8]) {
        var string = string
        string.withUTF8 { bytes in
            line.append(UInt8(ascii: "\""))
            // Nearly every value needs no escaping: one pass finds out, and it is copied whole.
            // (Over the contiguous bytes: the same scan through `string.utf8` cost twice as much.)
            if !bytes.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") || $0 == 0x7F }) {
                line.append(contentsOf: bytes)
            } else {
                for byte in bytes {
                    switch byte {
                    case UInt8(ascii: "\""): line += #"\""#.utf8
                    case UInt8(ascii: "\\"): line += #"\\"#.utf8
                    case UInt8(ascii: "\n"): line += #"\n"#.utf8
                    case UInt8(ascii: "\r"): line += #"\r"#.utf8
                    case UInt8(ascii: "\t"): line += #"\t"#.utf8
                    case 0..<0x20, 0x7F:
                        line += #"\u00"#.utf8
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
            line += prefix.utf8
            line += (fraction < 10 ? ".00" : fraction < 100 ? ".0" : ".").utf8
            line += String(fraction).utf8
            line.append(UInt8(ascii: "Z"))
        }
    }
}
