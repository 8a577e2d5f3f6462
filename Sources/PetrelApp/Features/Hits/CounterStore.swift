/// The shared hit counter. Every backend increments atomically, so that across replicas each
/// successful increment returns a distinct value and none is lost or counted twice.
public protocol CounterStore: Sendable {
    /// Adds one and returns the new count.
    func increment() async throws -> Int64
    /// The count, unchanged.
    func current() async throws -> Int64
}
