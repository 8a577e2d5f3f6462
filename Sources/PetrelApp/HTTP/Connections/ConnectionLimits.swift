#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// How long a client may take and how many may connect: what keeps slow, silent and
/// misbehaving clients from holding the server's sockets, memory and file descriptors.
public struct ConnectionLimits: Sendable {
    /// `HTTP_HEADER_TIMEOUT_SECONDS`: once a request's first byte has arrived, its whole head must
    /// within this.
    public var headerTimeout: Duration
    /// `HTTP_BODY_TIMEOUT_SECONDS`: the longest pause while a request body is read.
    public var bodyTimeout: Duration
    /// `HTTP_IDLE_TIMEOUT_SECONDS`: a keep-alive connection with no request this long is closed.
    public var idleTimeout: Duration
    /// `HTTP_MAX_CONNECTIONS`: connections past this wait in the listen backlog.
    public var maxConnections: Int
    /// `MAX_BODY_BYTES`, also the most body bytes read and discarded after an early answer.
    public var maxBodyBytes: Int

    /// File descriptors kept for everything but client connections: SQLite's database, WAL and
    /// lock files per pooled connection, the Redis and Elasticsearch pools, the listening socket,
    /// stdio, and room to spare.
    static let reservedDescriptors = 128

    /// The soft `RLIMIT_NOFILE` less `reservedDescriptors`, so the backends can always open what
    /// they need and the accept loop never runs into the limit (where it would spin).
    static func derivedMaximumConnections() -> Int {
        var limit = rlimit()
        #if canImport(Glibc)
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        #else
        let resource = RLIMIT_NOFILE
        #endif
        guard getrlimit(resource, &limit) == 0 else { return 1024 - reservedDescriptors }
        let soft = UInt64(limit.rlim_cur)  // RLIM_INFINITY is the largest value: clamped below
        return max(16, Int(min(soft, 1_000_000)) - reservedDescriptors)
    }
}
