public import Logging

/// swift-log's handler for Petrel: one line per event in the configured format (see `LogLine`),
/// with the fixed fields (such as `pod`), the logger's metadata (a request's `request_id`), the
/// metadata provider's (trace and span ids) and the event's own. Lines go through a `LogWriter`,
/// never straight to stdout, so a stalled stdout never blocks a request.
public struct PetrelLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public var logLevel: Logger.Level

    private let format: LogFormat
    private let writer: LogWriter
    private let fixedFields: Logger.Metadata

    public init(level: Logger.Level, format: LogFormat, writer: LogWriter, fixedFields: [(String, String)] = []) {
        self.logLevel = level
        self.format = format
        self.writer = writer
        self.fixedFields = Logger.Metadata(uniqueKeysWithValues: fixedFields.map { ($0.0, .string($0.1)) })
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        // Merged only when there is more than one source: most lines have a request's id on the
        // logger and their own fields on the event, and merging builds a new dictionary.
        var fields = event.metadata ?? [:]
        for source in [metadata, fixedFields, metadataProvider?.get() ?? [:]] where !source.isEmpty {
            fields.merge(source) { event, _ in event }
        }
        if let error = event.error { fields["error"] = .string("\(error)") }
        writer.append(LogLine.render(format: format, level: event.level, message: event.message.description, fields: fields), format: format)
    }
}
