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

/// A private redis-server on 127.0.0.1, without persistence, stopped by PID.
public final class RedisServer: @unchecked Sendable {
    public let port: Int
    private let arguments: [String]
    private var process: Process?

    /// `extraArguments` are passed through, e.g. `["--requirepass", "secret"]`.
    public init(extraArguments: [String] = []) throws {
        port = try freePort()
        arguments = [
            "--bind", "127.0.0.1", "--port", String(port), "--save", "", "--appendonly", "no",
            "--daemonize", "no", "--protected-mode", "yes", "--loglevel", "warning",
        ] + extraArguments
        try start()
    }

    deinit { stop(signal: SIGKILL) }

    public var url: String { "redis://127.0.0.1:\(port)/0" }

    public func start() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try ServerBinary.redis.requirePath())
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        let deadline = Date().addingTimeInterval(10)
        while !isListening(port) {
            guard process.isRunning, Date() < deadline else { throw SupportError("redis-server did not start on port \(port)") }
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

/// True once `pid` has exited (gone, or a zombie waiting to be reaped).
public func hasExited(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let end = stat.lastIndex(of: ")")
    else { return true }
    return stat[stat.index(after: end)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
}
