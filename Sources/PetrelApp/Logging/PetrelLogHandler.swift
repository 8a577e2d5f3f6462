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
    private let fixedFields: [LogLine.RenderedField]

    public init(level: Logger.Level, format: LogFormat, writer: LogWriter, fixedFields: [(String, String)] = []) {
        self.logLevel = level
        self.format = format
        self.writer = writer
        self.fixedFields = fixedFields.map { LogLine.RenderedField(key: $0.0, value: $0.1) }
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
        write(level: event.level, message: event.message.description, overriding: fields) { line in
            // Sorted, so that lines of one kind always list their fields in the same order.
            for key in fields.keys.sorted() { line.add(key, fields[key]!) }
        }
    }

    /// Writes one line: the layout every line shares, the fixed fields (except those `overriding`
    /// has a value for), then what `addFields` adds. The per-request access line calls this
    /// directly, skipping swift-log's metadata dictionary.
    func write(level: Logger.Level, message: String, overriding: Logger.Metadata = [:], addFields: (inout LogLine) -> Void) {
        var line = LogLine(format: format, level: level, message: message)
        for field in fixedFields where overriding[field.key] == nil {
            line.add(rendered: field)
        }
        addFields(&line)
        line.finish { writer.append($0, format: format) }
    }
}
