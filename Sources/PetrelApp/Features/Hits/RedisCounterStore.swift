import RedisClient

/// `INCR` on one key: Redis executes commands one at a time, so replicas sharing it stay exact.
/// Every answer goes past `resets`, which notices when Redis lost the count.
struct RedisCounterStore: CounterStore {
    let redis: RedisClient
    let key: String
    let resets: CounterResetDetector

    func increment() async throws -> Int64 {
        let ticket = resets.ticket()
        let count = try await redis.incr(key)
        resets.observe(count, incremented: true, since: ticket)
        return count
    }

    func current() async throws -> Int64 {
        let ticket = resets.ticket()
        let count: Int64
        if let value = try await redis.get(key) {
            guard let parsed = Int64(value) else {
                throw RedisError.unexpectedReply(command: "GET \(key)", reply: "a value that is not a count")
            }
            count = parsed
        } else {
            count = 0
        }
        resets.observe(count, incremented: false, since: ticket)
        return count
    }
}

/// Readiness check for Redis: a PING through the pool.
struct RedisCheck: DependencyCheck {
    let redis: RedisClient
    var name: String { "redis" }

    func check() async throws {
        try await redis.ping()
    }
}
