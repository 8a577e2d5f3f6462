import Logging

/// One log line as it is built: `{"ts":…,"level":…,"msg":…, fields…}` for `LOG_FORMAT=json`, or
/// `ts level msg key=value…` for a terminal. Fields go straight into the line's bytes in the order
/// they are added. Keys written in the source are literals and are copied without escaping; so
/// are values the caller knows need none (validated request ids).
struct LogLine {
    private var bytes: [UInt8] = []
    private let format: LogFormat

    init(format: LogFormat, level: Logger.Level, message: String) {
        self.format = format
        bytes.reserveCapacity(320)
        switch format {
        case .json:
            append(#"{"ts":""#)
            JSONText.appendTimestamp(to: &bytes)
            append(#"","level":""#)
            bytes.append(contentsOf: level.rawValue.utf8)
            append(#"","msg":"#)
            JSONText.appendString(message, to: &bytes)
        case .text:
            JSONText.appendTimestamp(to: &bytes)
            bytes.append(UInt8(ascii: " "))
            bytes.append(contentsOf: level.rawValue.utf8)
            bytes.append(UInt8(ascii: " "))
            bytes.append(contentsOf: message.utf8)
        }
    }

    mutating func add(_ key: StaticString, _ value: String) {
        appendKey(key)
        switch format {
        case .json: JSONText.appendString(value, to: &bytes)
        case .text: bytes.append(contentsOf: value.utf8)
        }
    }

    /// A value with no character JSON escapes (the caller has checked), copied as it is.
    mutating func add(_ key: StaticString, verbatim value: String) {
        appendKey(key)
        if format == .json { bytes.append(UInt8(ascii: "\"")) }
        bytes.append(contentsOf: value.utf8)
        if format == .json { bytes.append(UInt8(ascii: "\"")) }
    }

    mutating func add(_ key: StaticString, integer value: Int) {
        appendKey(key)
        JSONText.appendInteger(value, to: &bytes)
    }

    mutating func add(_ key: StaticString, milliseconds duration: Duration) {
        appendKey(key)
        JSONText.appendMilliseconds(duration, to: &bytes)
    }

    /// A field whose key is only known at run time, such as swift-log metadata.
    mutating func add(_ key: String, _ value: Logger.MetadataValue) {
        switch format {
        case .json:
            bytes.append(UInt8(ascii: ","))
            JSONText.appendString(key, to: &bytes)
            bytes.append(UInt8(ascii: ":"))
            JSONText.appendValue(value, to: &bytes)
        case .text:
            bytes.append(UInt8(ascii: " "))
            bytes.append(contentsOf: key.utf8)
            bytes.append(UInt8(ascii: "="))
            bytes.append(contentsOf: value.description.utf8)
        }
    }

    /// Fields rendered once, such as the pod name on every line.
    mutating func add(rendered field: RenderedField) {
        bytes.append(contentsOf: format == .json ? field.json : field.text)
    }

    /// The finished line, newline included.
    consuming func finished() -> [UInt8] {
        if format == .json { bytes.append(UInt8(ascii: "}")) }
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }

    private mutating func appendKey(_ key: StaticString) {
        switch format {
        case .json:
            append(#",""#)
            append(key)
            append(#"":"#)
        case .text:
            bytes.append(UInt8(ascii: " "))
            append(key)
            bytes.append(UInt8(ascii: "="))
        }
    }

    private mutating func append(_ literal: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    /// A field whose key and value never change, in both formats.
    struct RenderedField: Sendable {
        let key: String
        let json: [UInt8]
        let text: [UInt8]

        init(key: String, value: String) {
            self.key = key
            var json: [UInt8] = [UInt8(ascii: ",")]
            JSONText.appendString(key, to: &json)
            json.append(UInt8(ascii: ":"))
            JSONText.appendString(value, to: &json)
            self.json = json
            text = Array(" \(key)=\(value)".utf8)
        }
    }
}
