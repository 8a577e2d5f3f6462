import NIOCore

/// Where and how to connect, usually parsed from `redis://[user:password@]host[:port][/db]`
/// (`rediss://` for TLS).
public struct RedisConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var useTLS: Bool
    /// PEM file of the CA that signed the server's certificate (`rediss://` only); the system roots when `nil`.
    public var caBundlePath: String?
    /// An ACL user; `nil` authenticates with the password alone (`AUTH password`).
    public var username: String?
    public var password: String?
    public var database: Int
    /// The budget of one call, from its start: waiting for a pooled connection, connecting, the command.
    public var commandTimeout: Duration
    public var poolSize: Int
    /// A connection idle longer than this is PINGed before it is used again.
    public var idleCheckInterval: Duration
    /// Reconnect backoff: doubles from `initial` to `maximum`, with jitter.
    public var reconnectBackoff: (initial: Duration, maximum: Duration)

    public init(
        host: String, port: Int = 6379, useTLS: Bool = false, username: String? = nil, password: String? = nil,
        database: Int = 0, timeout: Duration = .milliseconds(250), poolSize: Int = 8
    ) {
        self.host = host
        self.port = port
        self.useTLS = useTLS
        self.username = username
        self.password = password
        self.database = database
        self.commandTimeout = timeout
        self.poolSize = poolSize
        self.idleCheckInterval = .seconds(30)
        self.reconnectBackoff = (.milliseconds(50), .seconds(2))
    }

    /// Parses `redis://[user:password@]host[:port][/db]` or `rediss://…`; user and password are
    /// percent-decoded, IPv6 hosts are written in brackets.
    public init(url: String, timeout: Duration = .milliseconds(250), poolSize: Int = 8) throws(RedisError) {
        let useTLS: Bool
        var rest: Substring
        if url.hasPrefix("redis://") {
            useTLS = false
            rest = url.dropFirst("redis://".count)
        } else if url.hasPrefix("rediss://") {
            useTLS = true
            rest = url.dropFirst("rediss://".count)
        } else {
            throw .invalidURL("it must start with redis:// or rediss://")
        }
        var username: String?
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = credentials.firstIndex(of: ":") {
                let user = try Self.percentDecoded(credentials[..<colon])
                username = user.isEmpty ? nil : user
                password = try Self.percentDecoded(credentials[credentials.index(after: colon)...])
            } else {
                password = try Self.percentDecoded(credentials)
            }
        }
        var database = 0
        if let slash = rest.firstIndex(of: "/") {
            let path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
            if !path.isEmpty {
                guard let number = Int(path), (0...15_999).contains(number) else { throw .invalidURL("database \"\(path)\" is not a number") }
                database = number
            }
        }
        var host = rest
        var port = 6379
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw .invalidURL("unclosed [ in the host") }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if after.hasPrefix(":") { port = try Self.port(after.dropFirst()) } else if !after.isEmpty { throw .invalidURL("unexpected \"\(after)\" after the host") }
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            port = try Self.port(rest[rest.index(after: colon)...])
        }
        guard !host.isEmpty else { throw .invalidURL("no host") }
        self.init(
            host: String(host), port: port, useTLS: useTLS, username: username, password: password,
            database: database, timeout: timeout, poolSize: poolSize)
    }

    private static func port(_ text: Substring) throws(RedisError) -> Int {
        guard let port = Int(text), (1...65535).contains(port) else { throw .invalidURL("port \"\(text)\" is not from 1 to 65535") }
        return port
    }

    private static func percentDecoded(_ text: Substring) throws(RedisError) -> String {
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next(), let low = iterator.next(),
                let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
            else { throw .invalidURL("bad percent-encoding in the credentials") }
            bytes.append(value)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The name sent in TLS's server name indication and checked against the certificate; `nil`
    /// for an IP address (NIOSSL refuses one as a server name and checks the address instead).
    public var tlsServerName: String? {
        (try? SocketAddress(ipAddress: host, port: 0)) == nil ? host : nil
    }

    /// The URL without its password, for logs.
    public var redacted: String {
        let credentials = username.map { "\($0):***@" } ?? (password == nil ? "" : ":***@")
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "\(useTLS ? "rediss" : "redis")://\(credentials)\(shownHost):\(port)/\(database)"
    }
}
