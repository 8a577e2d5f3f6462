import Logging
import RedisClient
import ServiceLifecycle

/// The stores the configuration selects, with their readiness checks and the services that
/// own their connections (started before the server, closed after it).
struct Backends {
    let counter: any CounterStore
    let checks: [any DependencyCheck]
    let services: [any Service]

    init(configuration: PetrelConfiguration, metrics: PetrelMetrics, logger: Logger) throws {
        var checks: [any DependencyCheck] = []
        var services: [any Service] = []
        var sqlite: SQLiteDatabase?
        func openSQLite() throws -> SQLiteDatabase {
            if let sqlite { return sqlite }
            let database = try SQLiteDatabase(directory: configuration.dataDirectory, logger: logger)
            sqlite = database
            checks.append(database)
            services.append(database)
            return database
        }

        let counter: any CounterStore
        switch configuration.counterBackend {
        case .memory:
            counter = MemoryCounterStore()
        case .sqlite:
            counter = InstrumentedCounterStore(
                base: SQLiteCounterStore(database: try openSQLite(), name: configuration.counterKey), dependency: "sqlite", metrics: metrics)
        case .redis:
            let redis = RedisClient(configuration: configuration.redis, logger: logger)
            checks.append(RedisCheck(redis: redis))
            services.append(redis)
            counter = InstrumentedCounterStore(
                base: RedisCounterStore(redis: redis, key: configuration.counterKey), dependency: "redis", metrics: metrics)
            logger.notice("hit counter on Redis", metadata: ["redis": .string(configuration.redis.redacted), "key": .string(configuration.counterKey)])
        }
        self.counter = counter
        self.checks = checks
        self.services = services
    }
}
