import Logging

/// The one line per request, in the same layout as every other line but written straight to the
/// log handler with its fields in a fixed order: building swift-log's metadata dictionary,
/// sorting it and printing a `Double` cost a fifth of `/hello`'s throughput. A class, so the
/// middleware reaches the handler through one reference instead of copying its fields per request.
final class AccessLog: Sendable {
    private let handler: PetrelLogHandler

    init(handler: PetrelLogHandler) {
        self.handler = handler
    }

    var logLevel: Logger.Level { handler.logLevel }

    func write(
        level: Logger.Level, method: String, path: String, route: String, status: Int, duration: Duration, requestID: String
    ) {
        // Trace and span ids, when tracing is on.
        let provided = handler.metadataProvider?.get()
        handler.write(level: level, message: "request") { line in
            line.add("method", method)
            line.add("path", path)
            line.add("route", route)
            line.add("status", integer: status)
            line.add("duration_ms", milliseconds: duration)
            // RequestIDMiddleware only lets through characters JSON does not escape.
            line.add("request_id", verbatim: requestID)
            if let provided {
                for key in provided.keys.sorted() { line.add(key, provided[key]!) }
            }
        }
    }
}
