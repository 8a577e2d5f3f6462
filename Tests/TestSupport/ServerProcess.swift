import Foundation

/// A server binary the tests start privately on 127.0.0.1 (redis-server, prometheus, …).
/// Outside CI a missing binary disables the tests that need it, with one line saying how to
/// install it; under `CI=true` those tests run and fail, because CI must have everything.
public struct ServerBinary: Sendable {
    public let name: String
    public let candidates: [String]
    public let install: String

    public static let redis = ServerBinary(
        name: "redis-server", candidates: ["/usr/bin/redis-server", "/usr/local/bin/redis-server"],
        install: "apt-get install redis-server (or run ./scripts/test.sh as root)")

    /// osmem-server, from `OSMEM_SERVER_BIN` or the repository's `.venv` (where scripts/test.sh installs it).
    public static let elasticsearch = ServerBinary(
        name: "osmem-server", candidates: osmemCandidates(),
        install: "pip install osmem-server into the repository's .venv (./scripts/test.sh does), or set OSMEM_SERVER_BIN")

    private static func osmemCandidates() -> [String] {
        var candidates: [String] = []
        if let configured = ProcessInfo.processInfo.environment["OSMEM_SERVER_BIN"] { candidates.append(configured) }
        let venvLib = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".venv/lib")
        for python in (try? FileManager.default.contentsOfDirectory(atPath: venvLib.path)) ?? [] {
            candidates.append(venvLib.path + "/" + python + "/site-packages/osmem_server/bin/osmem-server")
        }
        return candidates
    }

    public var path: String? { candidates.first { FileManager.default.isExecutableFile(atPath: $0) } }

    /// For `.enabled(if:)`: true when the binary is here, and always under CI=true.
    public var isAvailable: Bool {
        path != nil || ProcessInfo.processInfo.environment["CI"] == "true"
    }

    public var missingMessage: String { "\(name) not found — install it: \(install)" }

    public func requirePath() throws -> String {
        guard let path else { throw SupportError("\(name) is required (CI=true) but missing: \(install)") }
        return path
    }
}

public struct SupportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A port that was free a moment ago on 127.0.0.1.
public func freePort() throws -> Int {
    let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(socket) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Int32 in
            guard bind(socket, pointer, length) == 0 else { return -1 }
            return getsockname(socket, pointer, &length)
        }
    }
    guard bound == 0 else { throw SupportError("no free port: errno \(errno)") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// True when something accepts TCP connections on 127.0.0.1:`port`.
public func isListening(_ port: Int) -> Bool {
    let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(socket) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
    }
}

/// A server the tests start on 127.0.0.1 at a fixed port (so it can be stopped and started
/// again at the same address) and stop by PID.
public class PrivateServer: @unchecked Sendable {
    public let port: Int
    private let binary: ServerBinary
    private let arguments: [String]
    private var process: Process?

    init(binary: ServerBinary, port: Int, arguments: [String]) throws {
        self.binary = binary
        self.port = port
        self.arguments = arguments
        try start()
    }

    deinit { stop(signal: SIGKILL) }

    /// Starts it and waits until it accepts connections.
    public func start() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try binary.requirePath())
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        let deadline = Date().addingTimeInterval(10)
        while !isListening(port) {
            guard process.isRunning, Date() < deadline else { throw SupportError("\(binary.name) did not start on port \(port)") }
            usleep(5_000)
        }
    }

    /// Stops it by PID and waits until it has exited. SIGKILL by default: children spawned from
    /// the test's threads inherit their blocked signal mask, so SIGTERM may never be delivered.
    public func stop(signal: Int32 = SIGKILL) {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, signal)
        // Polling /proc rather than waitUntilExit(), which spins a run loop on the calling thread.
        let deadline = Date().addingTimeInterval(10)
        while !hasExited(process.processIdentifier), Date() < deadline { usleep(2_000) }
        if !hasExited(process.processIdentifier) { kill(process.processIdentifier, SIGKILL) }
        self.process = nil
    }
}

/// A private redis-server, without persistence.
public final class RedisServer: PrivateServer, @unchecked Sendable {
    /// `extraArguments` are passed through, e.g. `["--requirepass", "secret"]`.
    public init(extraArguments: [String] = []) throws {
        let port = try freePort()
        try super.init(
            binary: .redis, port: port,
            arguments: [
                "--bind", "127.0.0.1", "--port", String(port), "--save", "", "--appendonly", "no",
                "--daemonize", "no", "--protected-mode", "yes", "--loglevel", "warning",
            ] + extraArguments)
    }

    public var url: String { "redis://127.0.0.1:\(port)/0" }
}

/// A private osmem-server: an in-memory Elasticsearch-compatible server (data is lost on stop).
public final class ElasticsearchServer: PrivateServer, @unchecked Sendable {
    /// `port` lets a test pick the address before the server exists (to start a client first).
    public init(port: Int? = nil) throws {
        let port = try port ?? freePort()
        try super.init(binary: .elasticsearch, port: port, arguments: ["-addr", "127.0.0.1:\(port)", "-no-stdin-watch"])
    }

    public var url: String { "http://127.0.0.1:\(port)" }
}

/// True once `pid` has exited (gone, or a zombie waiting to be reaped).
public func hasExited(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let end = stat.lastIndex(of: ")")
    else { return true }
    return stat[stat.index(after: end)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
}

/// A self-signed certificate for 127.0.0.1 (it is its own CA), made by openssl for TLS tests.
public struct TestCertificate: Sendable {
    public let certificatePath: String
    public let keyPath: String

    public static var isAvailable: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl") || ProcessInfo.processInfo.environment["CI"] == "true"
    }

    public init() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("petrel-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        certificatePath = directory.appendingPathComponent("ca.pem").path
        keyPath = directory.appendingPathComponent("key.pem").path
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        openssl.arguments = [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", keyPath, "-out", certificatePath,
        ]
        openssl.standardError = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        guard openssl.terminationStatus == 0 else { throw SupportError("openssl could not make a certificate (apt-get install openssl)") }
    }
}
