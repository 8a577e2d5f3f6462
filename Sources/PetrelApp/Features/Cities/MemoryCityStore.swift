import Foundation
import Synchronization

/// Cities in this process only: for tests and single-instance demos.
final class MemoryCityStore: CityStore {
    /// One version sequence for all cities, so a city deleted and created again never gets back
    /// an ETag a client may still hold.
    private struct State {
        var cities: [String: City] = [:]
        var lastVersion: Int64 = 0
    }
    private let state = Mutex(State())

    func city(_ name: CityName) async throws -> City? {
        state.withLock { $0.cities[name.key] }
    }

    func put(_ name: CityName, population: Int64, precondition: RequestPrecondition?) async throws -> (City, CityWriteOutcome) {
        try state.withLock { state throws(StoreError) in
            let existing = state.cities[name.key]
            if let precondition, !precondition.isSatisfied(by: existing) { throw .preconditionFailed }
            state.lastVersion += 1
            let city = City(name: name.display, population: population, updatedAt: Date(), etag: String(state.lastVersion))
            state.cities[name.key] = city
            return (city, existing == nil ? .created : .updated)
        }
    }

    func delete(_ name: CityName, precondition: RequestPrecondition?) async throws -> Bool {
        try state.withLock { state throws(StoreError) in
            if let precondition, !precondition.isSatisfied(by: state.cities[name.key]) { throw .preconditionFailed }
            return state.cities.removeValue(forKey: name.key) != nil
        }
    }

    func list(prefix: String, after: String?, limit: Int) async throws -> CityPage {
        let matching = state.withLock { state in
            state.cities.filter { key, _ in key.hasPrefixScalars(prefix) && after.map { $0.utf8.lexicographicallyPrecedes(key.utf8) } ?? true }
                .sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
                .prefix(limit + 1)
                .map { ($0.key, $0.value) }
        }
        let page = matching.prefix(limit)
        return CityPage(cities: page.map(\.1), nextAfter: matching.count > limit ? page.last?.0 : nil)
    }
}

extension String {
    /// Prefix test by Unicode scalars, as the database backends compare, not by `Character`s.
    func hasPrefixScalars(_ prefix: String) -> Bool {
        unicodeScalars.starts(with: prefix.unicodeScalars)
    }
}
