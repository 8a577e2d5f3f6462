public import Logging

/// Writes one log line per event: a JSON object (`LOG_FORMAT=json`, the default) with `ts`,
/// `level`, `msg`, the fixed fields (such as `pod`) and the metadata; or `ts level msg key=value`
/// for people reading a terminal. Lines go through a `LogWriter`, never straight to stdout.
public struct PetrelLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public var logLevel: Logger.Level

    private let format: LogFormat
    private let writer: LogWriter
    /// Fields every line carries, such as the pod name, appended after `msg`.
    private let fixedFields: [(String, String)]

    public init(level: Logger.Level, format: LogFormat, writer: LogWriter, fixedFields: [(String, String)] = []) {
        self.logLevel = level
        self.format = format
        self.writer = writer
        self.fixedFields = fixedFields
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        // Merging builds a new dictionary: skip it in the common case of one source of fields.
        var fields = metadata.isEmpty && metadataProvider == nil ? event.metadata ?? [:] : metadata
        if let provided = metadataProvider?.get() {
            fields.merge(provided) { _, new in new }
        }
        if let extra = event.metadata, !(metadata.isEmpty && metadataProvider == nil) {
            fields.merge(extra) { _, new in new }
        }
        if let error = event.error {
            fields["error"] = .string("\(error)")
        }
        // Sorted, so that lines of one kind always list their fields in the same order.
        let ordered = fields.keys.sorted().map { key in (key, LogField.Value.metadata(fields[key]!)) }
        write(level: event.level, message: event.message.description, fields: ordered)
    }

    /// Writes one line with `fields` in the order given: the layout every line shares, also used
    /// directly by the per-request access line, which skips swift-log's metadata dictionary.
    func write(level: Logger.Level, message: String, fields: [(String, LogField.Value)]) {
        var line: [UInt8] = []
        line.reserveCapacity(256)
        switch format {
        case .json: appendJSON(level, message, fields, to: &line)
        case .text: appendText(level, message, fields, to: &line)
        }
        line.append(UInt8(ascii: "\n"))
        writer.append(line)
    }

    private func appendJSON(_ level: Logger.Level, _ message: String, _ fields: [(String, LogField.Value)], to line: inout [UInt8]) {
        line.append(contentsOf: #"{"ts":""#.utf8)
        JSONText.appendTimestamp(to: &line)
        line.append(contentsOf: #"","level":""#.utf8)
        line.append(contentsOf: level.rawValue.utf8)
        line.append(contentsOf: #"","msg":"#.utf8)
        JSONText.appendString(message, to: &line)
        for (key, value) in fixedFields where !fields.contains(where: { $0.0 == key }) {
            line.append(UInt8(ascii: ","))
            JSONText.appendString(key, to: &line)
            line.append(UInt8(ascii: ":"))
            JSONText.appendString(value, to: &line)
        }
        for (key, value) in fields {
            line.append(UInt8(ascii: ","))
            JSONText.appendString(key, to: &line)
            line.append(UInt8(ascii: ":"))
            value.appendJSON(to: &line)
        }
        line.append(UInt8(ascii: "}"))
    }

    private func appendText(_ level: Logger.Level, _ message: String, _ fields: [(String, LogField.Value)], to line: inout [UInt8]) {
        JSONText.appendTimestamp(to: &line)
        line.append(contentsOf: " \(level.rawValue) \(message)".utf8)
        for (key, value) in fields {
            line.append(contentsOf: " \(key)=".utf8)
            value.appendText(to: &line)
        }
    }
}

/// A field of a log line.
enum LogField {
    enum Value {
        case string(String)
        /// A JSON number already rendered, such as `12.345`.
        case number([UInt8])
        case metadata(Logger.MetadataValue)

        func appendJSON(to line: inout [UInt8]) {
            switch self {
            case .string(let string): JSONText.appendString(string, to: &line)
            case .number(let digits): line.append(contentsOf: digits)
            case .metadata(let value): JSONText.appendValue(value, to: &line)
            }
        }

        func appendText(to line: inout [UInt8]) {
            switch self {
            case .string(let string): line.append(contentsOf: string.utf8)
            case .number(let digits): line.append(contentsOf: digits)
            case .metadata(let value): line.append(contentsOf: "\(value)".utf8)
            }
        }
    }
}
