import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Where JSON text goes: a `[UInt8]` for response bodies, a `LogLine` for log lines.
protocol JSONOutput: ~Copyable {
    mutating func append(_ byte: UInt8)
    mutating func append(bytes: UnsafeRawBufferPointer)
}

extension JSONOutput where Self: ~Copyable {
    mutating func append(literal: StaticString) {
        append(bytes: UnsafeRawBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    mutating func append(utf8 text: String) {
        var text = text
        text.withUTF8 { append(bytes: UnsafeRawBufferPointer($0)) }
    }
}

extension Array: JSONOutput where Element == UInt8 {
    mutating func append(bytes: UnsafeRawBufferPointer) {
        append(contentsOf: bytes)
    }
}

/// Appends JSON string literals, numbers and ISO 8601 timestamps without Foundation's encoders.
/// Every request writes a log line through here, so text goes in as whole runs of bytes:
/// appending one byte at a time cost a seventh of `/hello`'s instructions.
enum JSONText {
    /// Appends `"value"` with JSON escaping.
    static func appendString<Output: JSONOutput & ~Copyable>(_ value: String, to output: inout Output) {
        output.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { bytes in
            var runStart = 0
            var index = 0
            while index < bytes.count {
                // Eight bytes at a time while none needs escaping, which is nearly always.
                if index + 8 <= bytes.count, !anyNeedsEscape(UnsafeRawPointer(bytes.baseAddress! + index).loadUnaligned(as: UInt64.self)) {
                    index += 8
                    continue
                }
                let end = min(index + 8, bytes.count)
                while index < end {
                    if needsEscape(bytes[index]) {
                        output.append(bytes: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[runStart..<index])))
                        appendEscaped(bytes[index], to: &output)
                        runStart = index + 1
                    }
                    index += 1
                }
            }
            output.append(bytes: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[runStart...])))
        }
        output.append(UInt8(ascii: "\""))
    }

    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte == 0x7f
    }

    /// Whether any of the eight bytes in `word` needs escaping. The bit tricks are the classic
    /// "has a zero byte" and "has a byte less than n" tests; both are exact about whether one
    /// exists, which is all this needs.
    private static func anyNeedsEscape(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highBits: UInt64 = 0x8080_8080_8080_8080
        func hasZeroByte(_ value: UInt64) -> Bool { (value &- ones) & ~value & highBits != 0 }
        let control = (word &- ones &* 0x20) & ~word & highBits != 0
        return control || hasZeroByte(word ^ (ones &* 0x22)) || hasZeroByte(word ^ (ones &* 0x5c)) || hasZeroByte(word ^ (ones &* 0x7f))
    }

    private static func appendEscaped<Output: JSONOutput & ~Copyable>(_ byte: UInt8, to output: inout Output) {
        output.append(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): output.append(byte)
        case UInt8(ascii: "\n"): output.append(UInt8(ascii: "n"))
        case UInt8(ascii: "\r"): output.append(UInt8(ascii: "r"))
        case UInt8(ascii: "\t"): output.append(UInt8(ascii: "t"))
        default:
            let hex: StaticString = "0123456789abcdef"
            output.append(literal: "u00")
            output.append(hex.utf8Start[Int(byte >> 4)])
            output.append(hex.utf8Start[Int(byte & 0xf)])
        }
    }

    /// Appends a JSON string, or the bare number or boolean for values that are one.
    static func appendValue<Output: JSONOutput & ~Copyable>(_ value: Logger.MetadataValue, to output: inout Output) {
        switch value {
        case .string(let string):
            appendString(string, to: &output)
        case .stringConvertible(let convertible):
            switch convertible {
            case let number as Int: appendInteger(number, to: &output)
            case let number as Double where number.isFinite: output.append(utf8: String(number))
            case let flag as Bool: output.append(literal: flag ? "true" : "false")
            default: appendString(convertible.description, to: &output)
            }
        case .array(let values):
            output.append(UInt8(ascii: "["))
            for (index, element) in values.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                appendValue(element, to: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .dictionary(let dictionary):
            output.append(UInt8(ascii: "{"))
            for (index, key) in dictionary.keys.sorted().enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                appendString(key, to: &output)
                output.append(UInt8(ascii: ":"))
                appendValue(dictionary[key]!, to: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    /// Appends the decimal digits of `value`.
    static func appendInteger<Output: JSONOutput & ~Copyable>(_ value: Int, to output: inout Output) {
        if value < 0 { output.append(UInt8(ascii: "-")) }
        var rest = value.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var start = digits.count
            repeat {
                start -= 1
                digits[start] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            } while rest > 0
            output.append(bytes: UnsafeRawBufferPointer(UnsafeMutableBufferPointer(rebasing: digits[start...])))
        }
    }

    /// Appends a duration in milliseconds with three decimals, `12.345` for 12 345 µs, in integer
    /// arithmetic (printing a `Double` is slow and may round).
    static func appendMilliseconds<Output: JSONOutput & ~Copyable>(_ duration: Duration, to output: inout Output) {
        let (seconds, attoseconds) = duration.components
        let microseconds = max(0, seconds * 1_000_000 + attoseconds / 1_000_000_000_000)
        appendInteger(Int(microseconds / 1000), to: &output)
        let fraction = Int(microseconds % 1000)
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 4) { text in
            text[0] = UInt8(ascii: ".")
            text[1] = UInt8(ascii: "0") + UInt8(fraction / 100)
            text[2] = UInt8(ascii: "0") + UInt8(fraction / 10 % 10)
            text[3] = UInt8(ascii: "0") + UInt8(fraction % 10)
            output.append(bytes: UnsafeRawBufferPointer(text))
        }
    }

    /// Appends the current UTC time as `2026-11-23T12:34:56.789Z`.
    static func appendTimestamp<Output: JSONOutput & ~Copyable>(to output: inout Output) {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        appendTimestamp(secondsSinceEpoch: Int(now.tv_sec), milliseconds: Int(now.tv_nsec) / 1_000_000, to: &output)
    }

    static func appendTimestamp<Output: JSONOutput & ~Copyable>(
        secondsSinceEpoch: Int, milliseconds: Int, to output: inout Output
    ) {
        let time = CivilTime(secondsSinceEpoch: secondsSinceEpoch)
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 24) { text in
            text.putYear(of: time, at: 0)
            text[4] = UInt8(ascii: "-")
            text.putTwoDigits(time.month, at: 5)
            text[7] = UInt8(ascii: "-")
            text.putTwoDigits(time.day, at: 8)
            text[10] = UInt8(ascii: "T")
            text.putClock(of: time, at: 11)
            text[19] = UInt8(ascii: ".")
            text[20] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: milliseconds / 100)
            text.putTwoDigits(milliseconds % 100, at: 21)
            text[23] = UInt8(ascii: "Z")
            output.append(bytes: UnsafeRawBufferPointer(text))
        }
    }
}
