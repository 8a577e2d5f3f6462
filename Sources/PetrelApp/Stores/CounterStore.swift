import Atomics

/// The shared hit counter. Every backend increments atomically, so that across replicas each
/// successful increment returns a distinct value and none is lost or counted twice.
public protocol CounterStore: Sendable {
    /// Adds one and returns the new count.
    func increment() async throws -> Int64
    /// The count, unchanged.
    func current() async throws -> Int64
}

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
