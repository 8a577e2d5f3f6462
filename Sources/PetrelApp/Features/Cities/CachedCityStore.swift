import Foundation
import Logging
import RedisClient

/// A read-through cache of single cities in Redis (`CITY_CACHE_TTL_SECONDS`). Every write to a
/// city deletes its entry after the write lands. A read that races a write can put the old
/// value back, so staleness is bounded by the TTL, not zero: keep the TTL short.
/// The cache is an optimisation only: when Redis fails, reads go to the store and the failure
/// is logged; a write whose invalidation fails still succeeds (the entry expires with its TTL).
/// Its Redis calls are timed as `cache_get`, `cache_fill` and `cache_invalidate`.
struct CachedCityStore: CityStore {
    let base: any CityStore
    let redis: RedisClient
    let instrument: DependencyInstrument
    let ttl: Duration
    let logger: Logger
    let keyPrefix = "petrel:city:"
    private let throttle = LogThrottle()

    init(base: any CityStore, redis: RedisClient, instrument: DependencyInstrument, ttl: Duration, logger: Logger) {
        self.base = base
        self.redis = redis
        self.instrument = instrument
        self.ttl = ttl
        self.logger = logger
    }

    private struct Entry: Codable {
        let name: String
        let population: Int64
        let updatedAt: Date
        let etag: String
    }

    func city(_ name: CityName) async throws -> City? {
        let key = keyPrefix + name.key
        do {
            let cached = try await instrument.timed("cache_get") { try await redis.get(key) }
            if let cached, let entry = try? JSONDecoder().decode(Entry.self, from: Data(cached.utf8)) {
                return City(name: entry.name, population: entry.population, updatedAt: entry.updatedAt, etag: entry.etag)
            }
        } catch {
            throttle { suppressed in
                logger.warning(
                    "city cache: read failed, using the store", metadata: ["error": "\(error)", "similar_lines_suppressed": "\(suppressed)"])
            }
            // Redis just failed: no point in trying to fill it.
            return try await base.city(name)
        }
        guard let city = try await base.city(name) else { return nil }
        let entry = Entry(name: city.name, population: city.population, updatedAt: city.updatedAt, etag: city.etag)
        do {
            let value = String(decoding: try JSONEncoder().encode(entry), as: UTF8.self)
            _ = try await instrument.timed("cache_fill") { try await redis.set(key, value, expiresIn: ttl) }
        } catch {
            throttle { suppressed in
                logger.warning("city cache: fill failed", metadata: ["error": "\(error)", "similar_lines_suppressed": "\(suppressed)"])
            }
        }
        return city
    }

    func put(_ name: CityName, population: Int64, precondition: RequestPrecondition?) async throws -> (City, CityWriteOutcome) {
        try await invalidating(name) { try await base.put(name, population: population, precondition: precondition) }
    }

    func delete(_ name: CityName, precondition: RequestPrecondition?) async throws -> Bool {
        try await invalidating(name) { try await base.delete(name, precondition: precondition) }
    }

    func list(prefix: String, after: String?, limit: Int) async throws -> CityPage {
        try await base.list(prefix: prefix, after: after, limit: limit)
    }

    /// Runs the write, then drops the city's entry, also when the write failed: a write that
    /// timed out may still have landed.
    private func invalidating<Value>(_ name: CityName, _ write: () async throws -> Value) async throws -> Value {
        do {
            let value = try await write()
            await invalidate(name)
            return value
        } catch {
            await invalidate(name)
            throw error
        }
    }

    private func invalidate(_ name: CityName) async {
        do {
            _ = try await instrument.timed("cache_invalidate") { try await redis.del(keyPrefix + name.key) }
        } catch {
            // Throttled like the other cache errors: under write load an outage would log a line per write.
            throttle { suppressed in
                logger.error(
                    "city cache: invalidation failed; the entry stays until its TTL",
                    metadata: ["error": "\(error)", "similar_lines_suppressed": "\(suppressed)"])
            }
        }
    }
}
