public import Logging
public import NIOCore
import NIOPosix
public import ServiceLifecycle

/// A small Redis client: the commands Petrel needs, on a bounded connection pool. Every call
/// finishes (answered, failed or timed out) within `commandTimeout` of its start, pool wait and
/// connect included. Runs in the service group and closes its connections on shutdown.
public final class RedisClient: Service, Sendable {
    public let configuration: RedisConfiguration
    public let pool: RedisConnectionPool
    private let logger: Logger

    public init(
        configuration: RedisConfiguration, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "redis")
    ) {
        self.configuration = configuration
        self.pool = RedisConnectionPool(configuration: configuration, group: group)
        self.logger = logger
    }

    public func run() async throws {
        try? await gracefulShutdown()
        pool.close()
        logger.notice("redis: connections closed")
    }

    /// Sends any command; error replies throw `RedisError.server`. Commands that block their
    /// connection get one to themselves; all others share connections with concurrent callers,
    /// so commands that change a connection's state (SELECT, MULTI, CLIENT …) have no place
    /// here: the database comes from the URL, and transactions need a connection of their own.
    @discardableResult
    public func send(_ arguments: [String]) async throws -> RESPValue {
        let deadline = ContinuousClock.now + configuration.commandTimeout
        return try await onConnection(exclusive: Self.blocksConnection(arguments), deadline: deadline) {
            try await $0.send(arguments, deadline: deadline)
        }
    }

    /// Sends the commands on one connection in one write; replies come back in order, error
    /// replies as `.error` values. Not a transaction: other callers' commands may run in between.
    public func pipeline(_ commands: [[String]]) async throws -> [RESPValue] {
        let deadline = ContinuousClock.now + configuration.commandTimeout
        return try await onConnection(exclusive: commands.contains(where: Self.blocksConnection), deadline: deadline) {
            try await $0.pipeline(commands, deadline: deadline)
        }
    }

    private func onConnection<Value: Sendable>(
        exclusive: Bool, deadline: ContinuousClock.Instant, _ body: (RedisConnection) async throws -> Value
    ) async throws -> Value {
        exclusive
            ? try await pool.withConnection(deadline: deadline, body) : try await pool.withSharedConnection(deadline: deadline, body)
    }

    /// Commands that hold their connection until something happens: sharing the connection would
    /// stall every command queued behind them.
    static let blockingCommands: Set<String> = [
        "BLPOP", "BRPOP", "BRPOPLPUSH", "BLMOVE", "BLMPOP", "BZPOPMIN", "BZPOPMAX", "BZMPOP", "WAIT", "WAITAOF",
        "SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "MONITOR", "XREAD", "XREADGROUP",
    ]

    static func blocksConnection(_ arguments: [String]) -> Bool {
        guard let name = arguments.first?.uppercased() else { return false }
        return blockingCommands.contains(name)
    }

    public func ping() async throws {
        let reply = try await send(["PING"])
        guard reply == .simpleString("PONG") else { throw RedisError.unexpectedReply(command: "PING", reply: "\(reply)") }
    }

    public func incr(_ key: String) async throws -> Int64 {
        try integer(await send(["INCR", key]), "INCR")
    }

    public func incrBy(_ key: String, _ amount: Int64) async throws -> Int64 {
        try integer(await send(["INCRBY", key, String(amount)]), "INCRBY")
    }

    /// The value at `key`, `nil` when there is none.
    public func get(_ key: String) async throws -> String? {
        let reply = try await send(["GET", key])
        if reply.isNull { return nil }
        guard let string = reply.string else { throw RedisError.unexpectedReply(command: "GET", reply: "\(reply)") }
        return string
    }

    /// Sets `key`; with `onlyIfAbsent` (NX) it returns false when the key existed.
    @discardableResult
    public func set(_ key: String, _ value: String, expiresIn: Duration? = nil, onlyIfAbsent: Bool = false) async throws -> Bool {
        var arguments = ["SET", key, value]
        if let expiresIn { arguments += ["PX", String(max(1, expiresIn.milliseconds))] }
        if onlyIfAbsent { arguments.append("NX") }
        let reply = try await send(arguments)
        if reply.isNull { return false }
        guard reply == .simpleString("OK") else { throw RedisError.unexpectedReply(command: "SET", reply: "\(reply)") }
        return true
    }

    /// Deletes the keys; returns how many existed.
    @discardableResult
    public func del(_ keys: String...) async throws -> Int64 {
        try integer(await send(["DEL"] + keys), "DEL")
    }

    /// Sets a time to live (whole seconds, at least 1); false when the key does not exist.
    @discardableResult
    public func expire(_ key: String, after: Duration) async throws -> Bool {
        try integer(await send(["EXPIRE", key, String(max(1, after.components.seconds))]), "EXPIRE") == 1
    }

    private func integer(_ reply: RESPValue, _ command: String) throws -> Int64 {
        guard case .integer(let value) = reply else { throw RedisError.unexpectedReply(command: command, reply: "\(reply)") }
        return value
    }
}
