/// A city store whose calls are measured and whose failures become `StoreError`s (see `DependencyInstrument`).
struct InstrumentedCityStore: CityStore {
    let base: any CityStore
    let instrument: DependencyInstrument

    func city(_ name: CityName) async throws -> City? {
        try await instrument.call("get") { try await base.city(name) }
    }

    func put(_ name: CityName, population: Int64, precondition: RequestPrecondition?) async throws -> (City, CityWriteOutcome) {
        try await instrument.call("put") { try await base.put(name, population: population, precondition: precondition) }
    }

    func delete(_ name: CityName, precondition: RequestPrecondition?) async throws -> Bool {
        try await instrument.call("delete") { try await base.delete(name, precondition: precondition) }
    }

    func list(prefix: String, after: String?, limit: Int) async throws -> CityPage {
        try await instrument.call("list") { try await base.list(prefix: prefix, after: after, limit: limit) }
    }
}
