/// Checks that a body is one JSON text exactly as RFC 8259 defines it, where decoders disagree:
/// Foundation's accepts a trailing comma and keeps one of two equal keys, and reads
/// `0.9999999999999999999` as 1. Here a trailing comma, a comment, a leading zero, invalid UTF-8
/// or a key repeated in one object is an error, and the top-level object's members come back with
/// strings unescaped and numbers as written, so a number can be read exactly (`exactInteger`).
enum StrictJSON {
    struct Invalid: Error, CustomStringConvertible {
        let description: String
    }

    /// A top-level member's value: what the API's flat bodies need to tell apart.
    enum Member: Equatable {
        case string(String)
        /// The number's text, as written.
        case number(String)
        /// `true`, `false`, `null`, an array or an object.
        case other
    }

    /// The top-level object's members (`nil` when the text is valid JSON but not an object).
    static func objectMembers(_ bytes: [UInt8]) throws(Invalid) -> [String: Member]? {
        guard String(validating: bytes, as: UTF8.self) != nil else { throw Invalid(description: "the body is not valid UTF-8") }
        var parser = Parser(bytes: bytes)
        parser.skipWhitespace()
        let members: [String: Member]?
        if parser.peek == UInt8(ascii: "{") {
            members = try parser.object(depth: 0)
        } else {
            _ = try parser.value(depth: 0)
            members = nil
        }
        parser.skipWhitespace()
        guard parser.index == bytes.count else { throw parser.invalid("text after the JSON value") }
        return members
    }

    /// The integer a JSON number denotes exactly (`1e3` and `1000.0` are 1000), `nil` when it is
    /// not a whole number (`0.9999999999999999999`, `1e-400`) or does not fit an `Int64`.
    static func exactInteger(_ number: String) -> Int64? {
        var text = Substring(number)
        let negative = text.first == "-"
        if negative { text = text.dropFirst() }
        let mantissa = text.prefix { $0 != "e" && $0 != "E" }
        let exponentText = text.dropFirst(mantissa.count + 1)
        let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        let fraction = parts.count > 1 ? parts[1] : ""
        var digits = Array((parts[0] + fraction).drop { $0 == "0" })
        guard parts.count <= 2, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        guard !digits.isEmpty else { return 0 }  // any zero, whatever its exponent
        // Beyond ±10⁶ the answer is "not an Int64" either way; bounding it keeps the sums exact.
        guard let written = exponentText.isEmpty ? 0 : Int(exponentText), abs(written) < 1_000_000 else { return nil }
        var exponent = written - fraction.count
        while digits.last == "0" {
            digits.removeLast()
            exponent += 1
        }
        // 19 digits is the most an Int64 has.
        guard exponent >= 0, digits.count + exponent <= 19 else { return nil }
        var value: Int64 = 0
        for digit in digits + Array(repeating: "0", count: exponent) {
            let (shifted, overflow) = value.multipliedReportingOverflow(by: 10)
            let (sum, carry) = shifted.addingReportingOverflow(Int64(digit.asciiValue! - UInt8(ascii: "0")))
            guard !overflow, !carry else { return nil }
            value = sum
        }
        return negative ? -value : value
    }

    private struct Parser {
        let bytes: [UInt8]
        var index = 0
        static let maximumDepth = 64

        var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

        func invalid(_ what: String) -> Invalid {
            Invalid(description: "the body is not valid JSON: \(what) at byte \(index)")
        }

        mutating func skipWhitespace() {
            while let byte = peek, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { index += 1 }
        }

        mutating func expect(_ byte: UInt8, _ what: String) throws(Invalid) {
            guard peek == byte else { throw invalid("expected \(what)") }
            index += 1
        }

        /// Parses one value.
        mutating func value(depth: Int) throws(Invalid) -> Member {
            guard depth < Self.maximumDepth else { throw invalid("nesting deeper than \(Self.maximumDepth)") }
            guard let byte = peek else { throw invalid("unexpected end") }
            switch byte {
            case UInt8(ascii: "{"): _ = try object(depth: depth)
            case UInt8(ascii: "["): try array(depth: depth)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                let start = index
                try number()
                return .number(String(decoding: bytes[start..<index], as: UTF8.self))
            case UInt8(ascii: "t"): try literal("true")
            case UInt8(ascii: "f"): try literal("false")
            case UInt8(ascii: "n"): try literal("null")
            default: throw invalid("unexpected character")
            }
            return .other
        }

        mutating func object(depth: Int) throws(Invalid) -> [String: Member] {
            index += 1
            var members: [String: Member] = [:]
            skipWhitespace()
            if peek == UInt8(ascii: "}") {
                index += 1
                return members
            }
            while true {
                skipWhitespace()
                guard peek == UInt8(ascii: "\"") else { throw invalid("expected a quoted field name") }
                let key = try string()
                skipWhitespace()
                try expect(UInt8(ascii: ":"), "':'")
                skipWhitespace()
                guard members.updateValue(try value(depth: depth + 1), forKey: key) == nil else {
                    throw Invalid(description: "the body is not valid: the field \"\(key)\" appears more than once")
                }
                skipWhitespace()
                if peek == UInt8(ascii: "}") {
                    index += 1
                    return members
                }
                try expect(UInt8(ascii: ","), "',' or '}'")
            }
        }

        mutating func array(depth: Int) throws(Invalid) {
            index += 1
            skipWhitespace()
            if peek == UInt8(ascii: "]") {
                index += 1
                return
            }
            while true {
                skipWhitespace()
                _ = try value(depth: depth + 1)
                skipWhitespace()
                if peek == UInt8(ascii: "]") {
                    index += 1
                    return
                }
                try expect(UInt8(ascii: ","), "',' or ']'")
            }
        }

        /// A string, unescaped (the input is valid UTF-8 already).
        mutating func string() throws(Invalid) -> String {
            index += 1
            var scalars = String.UnicodeScalarView()
            var plainStart = index
            while true {
                guard let byte = peek else { throw invalid("unterminated string") }
                if byte == UInt8(ascii: "\"") {
                    scalars.append(contentsOf: String(decoding: bytes[plainStart..<index], as: UTF8.self).unicodeScalars)
                    index += 1
                    return String(scalars)
                }
                guard byte >= 0x20 else { throw invalid("a control character in a string") }
                guard byte == UInt8(ascii: "\\") else {
                    index += 1
                    continue
                }
                scalars.append(contentsOf: String(decoding: bytes[plainStart..<index], as: UTF8.self).unicodeScalars)
                index += 1
                scalars.append(try escape())
                plainStart = index
            }
        }

        mutating func escape() throws(Invalid) -> Unicode.Scalar {
            guard let byte = peek else { throw invalid("unterminated string") }
            index += 1
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): return Unicode.Scalar(byte)
            case UInt8(ascii: "b"): return "\u{08}"
            case UInt8(ascii: "f"): return "\u{0C}"
            case UInt8(ascii: "n"): return "\n"
            case UInt8(ascii: "r"): return "\r"
            case UInt8(ascii: "t"): return "\t"
            case UInt8(ascii: "u"):
                let high = try hex4()
                guard (0xD800..<0xDC00).contains(high) else {
                    guard let scalar = Unicode.Scalar(high) else { throw invalid("a lone low surrogate") }
                    return scalar
                }
                guard peek == UInt8(ascii: "\\"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "u") else {
                    throw invalid("a lone high surrogate")
                }
                index += 2
                let low = try hex4()
                guard (0xDC00..<0xE000).contains(low) else { throw invalid("a lone high surrogate") }
                return Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))!
            default: throw invalid("an unknown escape")
            }
        }

        mutating func hex4() throws(Invalid) -> UInt32 {
            // Checked byte by byte first: UInt32(_:radix:) would also take a sign ("\u+041").
            guard index + 4 <= bytes.count, bytes[index..<index + 4].allSatisfy({ Character(Unicode.Scalar($0)).isHexDigit }),
                let value = UInt32(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16)
            else { throw invalid("a \\u escape without four hex digits") }
            index += 4
            return value
        }

        mutating func number() throws(Invalid) {
            if peek == UInt8(ascii: "-") { index += 1 }
            if peek == UInt8(ascii: "0") {
                index += 1
                if let next = peek, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(next) { throw invalid("a leading zero") }
            } else {
                try digits()
            }
            if peek == UInt8(ascii: ".") {
                index += 1
                try digits()
            }
            if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
                index += 1
                if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { index += 1 }
                try digits()
            }
        }

        mutating func digits() throws(Invalid) {
            let start = index
            while let byte = peek, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { index += 1 }
            guard index > start else { throw invalid("a number without digits") }
        }

        mutating func literal(_ word: StaticString) throws(Invalid) {
            let expected = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
            guard bytes.count - index >= expected.count, bytes[index..<index + expected.count].elementsEqual(expected) else {
                throw invalid("unexpected character")
            }
            index += expected.count
        }
    }
}
