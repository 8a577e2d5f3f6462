import Foundation
import Hummingbird
import HummingbirdTesting
import PetrelApp

/// Builds the real application with test settings; logs go to a file the test can read.
struct TestApp {
    let app: PetrelApplication
    let logFile: URL
    let logWriter: LogWriter

    init(_ environment: [String: String] = [:]) async throws {
        var settings = ["HTTP_HOST": "127.0.0.1", "HTTP_PORT": "0", "LOG_LEVEL": "debug", "COUNTER_STORE": "memory", "CITY_STORE": "memory"]
        settings.merge(environment) { _, new in new }
        logFile = FileManager.default.temporaryDirectory.appendingPathComponent("petrel-test-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        logWriter = LogWriter(fileDescriptor: open(logFile.path, O_WRONLY | O_APPEND))
        app = try await buildApplication(configuration: PetrelConfiguration(environment: settings), logWriter: logWriter)
    }

    /// The JSON log lines written so far, each parsed (a line that is not one JSON object fails).
    func logLines() throws -> [[String: Any]] {
        logWriter.flush()
        let text = try String(contentsOf: logFile, encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8))
            guard let dictionary = object as? [String: Any] else { throw TestFailure("log line is not an object: \(line)") }
            return dictionary
        }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension TestResponse {
    /// The body parsed as a JSON object.
    var json: [String: Any] {
        get throws {
            let object = try JSONSerialization.jsonObject(with: Data(buffer: body))
            guard let dictionary = object as? [String: Any] else { throw TestFailure("body is not a JSON object") }
            return dictionary
        }
    }

    /// The error shape's `error` object; fails when the body does not have that shape.
    var apiError: (code: String, message: String, requestID: String) {
        get throws {
            guard let error = try json["error"] as? [String: Any], let code = error["code"] as? String,
                let message = error["message"] as? String, let requestID = error["request_id"] as? String
            else { throw TestFailure("not the error shape: \(String(buffer: body))") }
            return (code, message, requestID)
        }
    }
}
