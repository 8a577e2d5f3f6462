import ElasticsearchClient
import Logging
import RedisClient
import ServiceLifecycle

/// The stores the configuration selects, with their readiness checks and the services that
/// own their connections (started before the server, closed after it, in reverse order).
struct Backends {
    let counter: any CounterStore
    let cities: any CityStore
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
        var redis: RedisClient?
        var redisGatesReadiness = false
        /// `gatesReadiness`: Redis holds data the service needs (the counter), not just a cache,
        /// whose outage only costs speed and must not take the pod out of rotation.
        func openRedis(gatesReadiness: Bool) -> RedisClient {
            let client = redis ?? RedisClient(configuration: configuration.redis, logger: logger)
            if redis == nil {
                redis = client
                services.append(client)
                logger.notice("redis", metadata: ["redis": .string(configuration.redis.redacted)])
            }
            if gatesReadiness, !redisGatesReadiness {
                checks.append(RedisCheck(redis: client))
                redisGatesReadiness = true
            }
            return client
        }
        func instrument(_ dependency: String) -> DependencyInstrument {
            DependencyInstrument(dependency: dependency, metrics: metrics, tracing: configuration.tracingEnabled, logger: logger)
        }

        switch configuration.counterBackend {
        case .memory:
            counter = MemoryCounterStore()
        case .sqlite:
            counter = InstrumentedCounterStore(
                base: SQLiteCounterStore(database: try openSQLite(), name: configuration.counterKey), instrument: instrument("sqlite"))
        case .redis:
            counter = InstrumentedCounterStore(
                base: RedisCounterStore(
                    redis: openRedis(gatesReadiness: true), key: configuration.counterKey,
                    resets: CounterResetDetector(key: configuration.counterKey, metrics: metrics, logger: logger)),
                instrument: instrument("redis"))
        }

        var cities: any CityStore
        switch configuration.cityBackend {
        case .memory:
            cities = MemoryCityStore()
        case .sqlite:
            cities = InstrumentedCityStore(base: SQLiteCityStore(database: try openSQLite()), instrument: instrument("sqlite"))
        case .elasticsearch:
            let client = try ElasticsearchClient(
                configuration: configuration.elasticsearch, logger: logger,
                injectHeaders: configuration.tracingEnabled ? HTTPHeadersInjector.propagateCurrentContext : nil)
            let index = ElasticsearchCityIndex(
                client: client, index: configuration.elasticsearchIndex, shards: configuration.elasticsearchShards,
                replicas: configuration.elasticsearchReplicas, logger: logger)
            services += [client, index] as [any Service]
            checks.append(index)
            cities = InstrumentedCityStore(
                base: ElasticsearchCityStore(index: index), instrument: instrument("elasticsearch"))
            logger.notice(
                "cities on Elasticsearch",
                metadata: ["url": .string(configuration.elasticsearch.redacted), "index": .string(configuration.elasticsearchIndex)])
        }
        if let ttl = configuration.cityCacheTTL {
            cities = CachedCityStore(
                base: cities, redis: openRedis(gatesReadiness: false), instrument: instrument("redis"), ttl: ttl, logger: logger)
        }
        self.cities = cities
        self.checks = checks
        self.services = services
    }
}
