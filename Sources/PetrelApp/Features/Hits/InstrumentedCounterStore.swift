/// A counter store whose calls are measured and whose failures become `StoreError`s (see `DependencyInstrument`).
struct InstrumentedCounterStore: CounterStore {
    let base: any CounterStore
    let instrument: DependencyInstrument

    func increment() async throws -> Int64 {
        try await instrument.call("increment") { try await base.increment() }
    }

    func current() async throws -> Int64 {
        try await instrument.call("current") { try await base.current() }
    }
}
