import Atomics

/// Counts in this process only: for tests and single-instance demos.
final class MemoryCounterStore: CounterStore {
    private let count = ManagedAtomic<Int64>(0)

    func increment() async throws -> Int64 {
        count.wrappingIncrementThenLoad(ordering: .relaxed)
    }

    func current() async throws -> Int64 {
        count.load(ordering: .relaxed)
    }
}
