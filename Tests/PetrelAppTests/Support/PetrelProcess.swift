import Foundation
import NIOConcurrencyHelpers

/// The real `petrel` executable, started on 127.0.0.1 with a free port, its stdout captured line
/// by line. `swift test` builds it next to the test bundle (the test target depends on it).
final class PetrelProcess: Sendable {
    static let executable: URL = {
        if let path = ProcessInfo.processInfo.environment["PETREL_BIN"] { return URL(fileURLWithPath: path) }
        let testBinary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return testBinary.deletingLastPathComponent().appendingPathComponent("petrel")
    }()

    let process: Process
    private let output = NIOLockedValueBox(Output())
    private let standardError = NIOLockedValueBox(Data())

    private struct Output {
        var pending = Data()
        var lines: [String] = []
    }

    /// Starts petrel with `environment` on top of test defaults (port 0, loopback, short drain),
    /// in `workingDirectory` (where it looks for `.env`), the temporary directory by default.
    init(_ environment: [String: String] = [:], arguments: [String] = [], workingDirectory: URL? = nil) throws {
        process = Process()
        process.executableURL = Self.executable
        process.arguments = arguments
        var settings = [
            "HTTP_HOST": "127.0.0.1", "HTTP_PORT": "0", "ADMIN_PORT": "0", "SHUTDOWN_DRAIN_SECONDS": "1", "SHUTDOWN_TIMEOUT_SECONDS": "5",
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
            "DATA_DIR": FileManager.default.temporaryDirectory.appendingPathComponent("petrel-data-\(UUID().uuidString)").path,
        ]
        settings.merge(environment) { _, new in new }
        process.environment = settings
        process.currentDirectoryURL = workingDirectory ?? FileManager.default.temporaryDirectory
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        let output = self.output
        stdout.fileHandleForReading.readabilityHandler = { handle in
            let chunk = handle.availableData
            output.withLockedValue { output in
                output.pending.append(chunk)
                while let newline = output.pending.firstIndex(of: UInt8(ascii: "\n")) {
                    output.lines.append(String(decoding: output.pending[output.pending.startIndex..<newline], as: UTF8.self))
                    output.pending.removeSubrange(output.pending.startIndex...newline)
                }
            }
        }
        let standardError = self.standardError
        stderr.fileHandleForReading.readabilityHandler = { handle in
            let chunk = handle.availableData
            standardError.withLockedValue { $0.append(chunk) }
        }
        try process.run()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    var lines: [String] { output.withLockedValue { $0.lines } }
    var errorOutput: String { standardError.withLockedValue { String(decoding: $0, as: UTF8.self) } }

    /// Every stdout line parsed as a JSON object; fails on the first line that is not one.
    func jsonLines() throws -> [[String: Any]] {
        try lines.map { line in
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw TestFailure("not a JSON object: \(line)")
            }
            return object
        }
    }

    /// Waits for the log line with this `msg` (and matching `condition`), returning it parsed.
    func waitForLog(
        _ message: String, timeout: Duration = .seconds(20), where condition: ([String: Any]) -> Bool = { _ in true }
    ) async throws -> [String: Any] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let line = try jsonLines().first(where: { $0["msg"] as? String == message && condition($0) }) { return line }
            guard process.isRunning else { throw TestFailure("petrel exited (\(process.terminationStatus)) before logging \(message): \(errorOutput)") }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw TestFailure("no \"\(message)\" log line within \(timeout); stdout: \(lines)")
    }

    /// The port it listens on, once it does.
    func port() async throws -> Int {
        try await port(of: "listening")
    }

    /// The admin listener's port (/metrics, /delay, the switches), once it listens.
    func adminPort() async throws -> Int {
        try await port(of: "admin listening")
    }

    private func port(of message: String) async throws -> Int {
        let listening = try await waitForLog(message)
        guard let port = listening["port"] as? Int, port > 0 else { throw TestFailure("no port in \(listening)") }
        return port
    }

    func signal(_ signal: Int32) {
        kill(process.processIdentifier, signal)
    }

    /// Waits for the process to exit; returns its status and how long the wait took.
    func waitForExit(timeout: Duration = .seconds(30)) async throws -> (status: Int32, waited: Duration) {
        let start = ContinuousClock.now
        while process.isRunning {
            guard ContinuousClock.now - start < timeout else {
                signal(SIGKILL)
                throw TestFailure("petrel did not exit within \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        return (process.terminationStatus, ContinuousClock.now - start)
    }
}
