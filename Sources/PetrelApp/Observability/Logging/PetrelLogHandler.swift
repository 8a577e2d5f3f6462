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
        // One field per key, the nearest source winning: a logged error, the event's own fields,
        // the logger's, the fixed ones, the provider's. Collected into an array and sorted, which
        // costs less than merging dictionaries.
        var fields: [LogLine.Field] = []
        // Room for the error and a provider's trace and span ids too, so the array grows once.
        fields.reserveCapacity((event.metadata?.count ?? 0) + metadata.count + fixedFields.count + 3)
        func add(_ source: Logger.Metadata) {
            for (key, value) in source where !fields.contains(where: { $0.key == key }) { fields.append(.init(key: key, value: value)) }
        }
        if let error = event.error { fields.append(.init(key: "error", value: .string("\(error)"))) }
        add(event.metadata ?? [:])
        add(metadata)
        add(fixedFields)
        if let provided = metadataProvider?.get() { add(provided) }
        fields.sort { $0.key < $1.key }
        writer.append(LogLine.render(format: format, level: event.level, message: event.message.description, fields: fields), format: format)
    }
}
