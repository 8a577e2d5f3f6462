/// What went wrong talking to Redis. Messages say what to check.
public enum RedisError: Error, CustomStringConvertible, Equatable {
    /// Could not connect, or the connection broke.
    case connectionFailed(String)
    /// No answer within the command or connect timeout.
    case timeout(String)
    /// Every pooled connection stayed in use for the whole wait.
    case poolExhausted(size: Int, waited: Duration)
    /// Redis answered with an error reply (`-ERR …`, `-NOAUTH …`, `-WRONGTYPE …`).
    case server(String)
    /// The answer was not of the type the command returns.
    case unexpectedReply(command: String, reply: String)
    /// The URL is not `redis://[user:password@]host[:port][/db]` or `rediss://…`.
    case invalidURL(String)
    case closed

    public var description: String {
        switch self {
        case .connectionFailed(let reason): "cannot reach Redis: \(reason)"
        case .timeout(let what): "Redis did not answer \(what) in time"
        case .poolExhausted(let size, let waited): "all \(size) Redis connections stayed busy for \(waited); raise REDIS_POOL_SIZE or find the slow command"
        case .server(let message): "Redis refused the command: \(message)"
        case .unexpectedReply(let command, let reply): "Redis answered \(command) with \(reply)"
        case .invalidURL(let reason): "invalid Redis URL: \(reason)"
        case .closed: "the Redis client is closed"
        }
    }
}
