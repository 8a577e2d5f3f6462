/// Where cities live. Every backend behaves the same (one shared test suite proves it): names
/// match by `CityName.key`, lists sort by the key's code points, and a write whose `If-Match`
/// does not hold throws `StoreError.preconditionFailed` and changes nothing.
protocol CityStore: Sendable {
    func city(_ name: CityName) async throws -> City?
    /// Creates the city or replaces its population, stamped with the current time.
    func put(_ name: CityName, population: Int64, precondition: RequestPrecondition?) async throws -> (City, CityWriteOutcome)
    /// `false` when there was no such city.
    func delete(_ name: CityName, precondition: RequestPrecondition?) async throws -> Bool
    /// Up to `limit` cities whose key starts with `prefix` (already a key), after the key `after`.
    func list(prefix: String, after: String?, limit: Int) async throws -> CityPage
}
