import Logging

/// One log line as it is built: `{"ts":…,"level":…,"msg":…, fields…}` for `LOG_FORMAT=json`, or
/// `ts level msg key=value…` for a terminal. Fields go straight into the line's bytes in the order
/// they are added. Keys written in the source are literals and are copied without escaping; so
/// are values the caller knows need none (validated request ids).
///
/// The bytes live in one allocation owned by the line (hence `~Copyable`), written with plain
/// copies: appending to a `[UInt8]` checks uniqueness and capacity through the generic sequence
/// path on every call, which was a third of what the access line cost.
struct LogLine: ~Copyable, JSONOutput {
    private let format: LogFormat
    private var storage: UnsafeMutableRawPointer
    private var capacity = 512
    private var count = 0

    init(format: LogFormat, level: Logger.Level, message: String) {
        self.format = format
        storage = .allocate(byteCount: capacity, alignment: 1)
        switch format {
        case .json:
            append(literal: #"{"ts":""#)
            JSONText.appendTimestamp(to: &self)
            append(literal: #"","level":""#)
            append(utf8: level.rawValue)
            append(literal: #"","msg":"#)
            JSONText.appendString(message, to: &self)
        case .text:
            JSONText.appendTimestamp(to: &self)
            append(UInt8(ascii: " "))
            append(utf8: level.rawValue)
            append(UInt8(ascii: " "))
            append(utf8: message)
        }
    }

    deinit {
        storage.deallocate()
    }

    mutating func add(_ key: StaticString, _ value: String) {
        appendKey(key)
        switch format {
        case .json: JSONText.appendString(value, to: &self)
        case .text: append(utf8: value)
        }
    }

    /// A value with no character JSON escapes (the caller has checked), copied as it is.
    mutating func add(_ key: StaticString, verbatim value: String) {
        appendKey(key)
        if format == .json { append(UInt8(ascii: "\"")) }
        append(utf8: value)
        if format == .json { append(UInt8(ascii: "\"")) }
    }

    mutating func add(_ key: StaticString, integer value: Int) {
        appendKey(key)
        JSONText.appendInteger(value, to: &self)
    }

    mutating func add(_ key: StaticString, milliseconds duration: Duration) {
        appendKey(key)
        JSONText.appendMilliseconds(duration, to: &self)
    }

    /// A field whose key is only known at run time, such as swift-log metadata.
    mutating func add(_ key: String, _ value: Logger.MetadataValue) {
        switch format {
        case .json:
            append(UInt8(ascii: ","))
            JSONText.appendString(key, to: &self)
            append(UInt8(ascii: ":"))
            JSONText.appendValue(value, to: &self)
        case .text:
            append(UInt8(ascii: " "))
            append(utf8: key)
            append(UInt8(ascii: "="))
            append(utf8: value.description)
        }
    }

    /// Fields rendered once, such as the pod name on every line.
    mutating func add(rendered field: RenderedField) {
        (format == .json ? field.json : field.text).withUnsafeBytes { append(bytes: $0) }
    }

    /// Ends the line (closing brace, newline) and lends its bytes to `body`.
    mutating func finish(_ body: (UnsafeRawBufferPointer) -> Void) {
        if format == .json { append(UInt8(ascii: "}")) }
        append(UInt8(ascii: "\n"))
        body(UnsafeRawBufferPointer(start: storage, count: count))
    }

    mutating func append(_ byte: UInt8) {
        reserve(1)
        storage.storeBytes(of: byte, toByteOffset: count, as: UInt8.self)
        count += 1
    }

    mutating func append(bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress else { return }
        reserve(bytes.count)
        (storage + count).copyMemory(from: source, byteCount: bytes.count)
        count += bytes.count
    }

    private mutating func reserve(_ extra: Int) {
        guard count + extra > capacity else { return }
        capacity = max(2 * capacity, count + extra)
        let larger = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 1)
        larger.copyMemory(from: storage, byteCount: count)
        storage.deallocate()
        storage = larger
    }

    private mutating func appendKey(_ key: StaticString) {
        switch format {
        case .json:
            // `,"key":` in one reservation: keys are a few bytes, and a reservation and copy
            // call per piece cost more than the bytes.
            let length = key.utf8CodeUnitCount
            reserve(length + 4)
            let target = (storage + count).assumingMemoryBound(to: UInt8.self)
            target[0] = UInt8(ascii: ",")
            target[1] = UInt8(ascii: "\"")
            (target + 2).initialize(from: key.utf8Start, count: length)
            target[length + 2] = UInt8(ascii: "\"")
            target[length + 3] = UInt8(ascii: ":")
            count += length + 4
        case .text:
            append(UInt8(ascii: " "))
            append(literal: key)
            append(UInt8(ascii: "="))
        }
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
