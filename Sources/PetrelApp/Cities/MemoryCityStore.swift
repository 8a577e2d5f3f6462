import Foundation
import Synchronization

/// Cities in this process only: for tests and single-instance demos.
final class MemoryCityStore: CityStore {
    private struct Record {
        var city: City
        var version: Int64
    }
    private let records = Mutex<[String: Record]>([:])

    func city(_ name: CityName) async throws -> City? {
        records.withLock { $0[name.key]?.city }
    }

    func put(_ name: CityName, population: Int64, precondition: WritePrecondition?) async throws -> (City, CityWriteOutcome) {
        try records.withLock { records throws(CityStoreError) in
            let existing = records[name.key]
            if let precondition, !precondition.isSatisfied(by: existing?.city) { throw .preconditionFailed }
            let version = (existing?.version ?? 0) + 1
            let city = City(name: name.display, population: population, updatedAt: Date(), etag: String(version))
            records[name.key] = Record(city: city, version: version)
            return (city, existing == nil ? .created : .updated)
        }
    }

    func delete(_ name: CityName, precondition: WritePrecondition?) async throws -> Bool {
        try records.withLock { records throws(CityStoreError) in
            let existing = records[name.key]
            if let precondition, !precondition.isSatisfied(by: existing?.city) { throw .preconditionFailed }
            return records.removeValue(forKey: name.key) != nil
        }
    }

    func list(prefix: String, after: String?, limit: Int) async throws -> CityPage {
        let matching = records.withLock { records in
            records.filter { key, _ in key.hasPrefixScalars(prefix) && after.map { $0.utf8.lexicographicallyPrecedes(key.utf8) } ?? true }
                .sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
                .prefix(limit + 1)
                .map { ($0.key, $0.value.city) }
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
