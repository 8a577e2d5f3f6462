import Atomics

/// Whether the cities index is known to exist with Petrel's mapping, kept as one atomic word: a
/// generation, bumped whenever something suggests the index may be gone, and the verified bit.
/// A look at the index may mark it verified only if nothing withdrew it since the look began, so
/// a deletion that a request noticed during a check is not undone by that check's older answer.
struct IndexVerification: Sendable {
    /// `generation * 2 + (verified ? 1 : 0)`.
    private let word = ManagedAtomic<Int>(0)

    var isVerified: Bool { word.load(ordering: .acquiring) & 1 == 1 }

    /// Where a look at the index starts from; hand it to `confirm(since:)` when the look passes.
    func beginLook() -> Int { word.load(ordering: .acquiring) }

    /// Withdraws the verification; returns the state a look starting now begins from.
    @discardableResult
    func withdraw() -> Int {
        var current = word.load(ordering: .relaxed)
        while true {
            // Clears the bit and bumps the generation: g*2+b becomes (g+1)*2.
            let next = (current | 1) + 1
            let (exchanged, original) = word.weakCompareExchange(expected: current, desired: next, ordering: .acquiringAndReleasing)
            if exchanged { return next }
            current = original
        }
    }

    /// Marks the index verified unless it was withdrawn since `look` began; true when this call
    /// is the one that verified it.
    func confirm(since look: Int) -> Bool {
        guard look & 1 == 0 else { return false }
        return word.compareExchange(expected: look, desired: look | 1, ordering: .acquiringAndReleasing).exchanged
    }
}
