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
        var line: [UInt8] = []
        line.reserveCapacity(256)
        switch format {
        case .json: appendJSON(event, fields, to: &line)
        case .text: appendText(event, fields, to: &line)
        }
        line.append(UInt8(ascii: "\n"))
        writer.append(line)
    }

    private func appendJSON(_ event: LogEvent, _ fields: Logger.Metadata, to line: inout [UInt8]) {
        line.append(contentsOf: #"{"ts":""#.utf8)
        JSONText.appendTimestamp(to: &line)
        line.append(contentsOf: #"","level":""#.utf8)
        line.append(contentsOf: event.level.rawValue.utf8)
        line.append(contentsOf: #"","msg":"#.utf8)
        JSONText.appendString(event.message.description, to: &line)
        for (key, value) in fixedFields where fields[key] == nil {
            line.append(UInt8(ascii: ","))
            JSONText.appendString(key, to: &line)
            line.append(UInt8(ascii: ":"))
            JSONText.appendString(value, to: &line)
        }
        // Sorted, so that lines of one kind always list their fields in the same order.
        for key in fields.keys.sorted() {
            line.append(UInt8(ascii: ","))
            JSONText.appendString(key, to: &line)
            line.append(UInt8(ascii: ":"))
            JSONText.appendValue(fields[key]!, to: &line)
        }
        line.append(UInt8(ascii: "}"))
    }

    private func appendText(_ event: LogEvent, _ fields: Logger.Metadata, to line: inout [UInt8]) {
        JSONText.appendTimestamp(to: &line)
        line.append(contentsOf: " \(event.level.rawValue) \(event.message)".utf8)
        for key in fields.keys.sorted() {
            line.append(contentsOf: " \(key)=\(fields[key]!)".utf8)
        }
    }
}
