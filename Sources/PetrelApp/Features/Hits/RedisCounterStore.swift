import RedisClient

/// `INCR` on one key: Redis executes commands one at a time, so replicas sharing it stay exact.
struct RedisCounterStore: CounterStore {
    let redis: RedisClient
    let key: String

    func increment() async throws -> Int64 {
        try await redis.incr(key)
    }

    func current() async throws -> Int64 {
        guard let value = try await redis.get(key) else { return 0 }
        guard let count = Int64(value) else {
            throw RedisError.unexpectedReply(command: "GET \(key)", reply: "a value that is not a count")
        }
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
