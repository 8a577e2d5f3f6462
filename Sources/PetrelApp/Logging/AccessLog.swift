import Logging

/// The one line per request, in the same layout as every other line but written straight to the
/// log handler with its fields in a fixed order: building swift-log's metadata dictionary,
/// sorting it and printing a `Double` cost a fifth of `/hello`'s throughput.
struct AccessLog: Sendable {
    let handler: PetrelLogHandler

    var logLevel: Logger.Level { handler.logLevel }

    func write(
        level: Logger.Level, method: String, path: String, route: String, status: Int, duration: Duration, requestID: String
    ) {
        var fields: [(String, LogField.Value)] = [
            ("method", .string(method)), ("path", .string(path)), ("route", .string(route)),
            ("status", .number(Array(String(status).utf8))), ("duration_ms", .number(Self.milliseconds(duration))),
            ("request_id", .string(requestID)),
        ]
        // Trace and span ids, when tracing is on.
        if let provided = handler.metadataProvider?.get() {
            for key in provided.keys.sorted() { fields.append((key, .metadata(provided[key]!))) }
        }
        handler.write(level: level, message: "request", fields: fields)
    }

    /// `12.345` for 12 345 µs, in integer arithmetic.
    static func milliseconds(_ duration: Duration) -> [UInt8] {
        let (seconds, attoseconds) = duration.components
        let microseconds = max(0, seconds * 1_000_000 + attoseconds / 1_000_000_000_000)
        var text = Array(String(microseconds / 1000).utf8)
        let fraction = microseconds % 1000
        text.append(UInt8(ascii: "."))
        text.append(UInt8(ascii: "0") + UInt8(fraction / 100))
        text.append(UInt8(ascii: "0") + UInt8(fraction / 10 % 10))
        text.append(UInt8(ascii: "0") + UInt8(fraction % 10))
        return text
    }
}
