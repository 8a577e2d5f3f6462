import Logging
import Synchronization

/// Notices when the shared counter went backwards. Redis's counter only grows, so a count lower
/// than one this process saw before asking means Redis lost it: restarted without persistence,
/// flushed, or failed over to an empty replica. Counting goes on from what Redis holds (numbers
/// already handed out are handed out again); the reset is logged once, as an error, and counted in
/// `petrel_hits_resets_total`, so an alert can page someone to restore persistence.
///
/// Each call compares with the highest count seen *before it was sent*: answers to concurrent
/// calls arrive in any order, and other replicas make the count jump, but no linearizable answer
/// is lower than one received before the question was asked.
final class CounterResetDetector: Sendable {
    struct Ticket {
        fileprivate let highest: Int64
        fileprivate let epoch: Int
    }

    private let state = Mutex((highest: Int64(0), epoch: 0))
    private let key: String
    private let metrics: PetrelMetrics
    private let logger: Logger

    init(key: String, metrics: PetrelMetrics, logger: Logger) {
        self.key = key
        self.metrics = metrics
        self.logger = logger
    }

    /// Taken just before asking Redis.
    func ticket() -> Ticket {
        state.withLock { Ticket(highest: $0.highest, epoch: $0.epoch) }
    }

    /// Records Redis's answer: `incremented` for `INCR` (whose answer must exceed every count seen
    /// before), else a read (which may equal it).
    func observe(_ count: Int64, incremented: Bool, since ticket: Ticket) {
        let wentBack = incremented ? count <= ticket.highest : count < ticket.highest
        let reported = state.withLock { state -> Bool in
            // An answer to a call sent before the last reset was noticed says nothing new.
            guard state.epoch == ticket.epoch else { return false }
            guard wentBack else {
                state.highest = max(state.highest, count)
                return false
            }
            state = (count, state.epoch + 1)
            return true
        }
        guard reported else { return }
        metrics.counterResets.increment()
        logger.error(
            "hit counter: Redis lost the count (the key is gone or lower than before); counting goes on from there, so numbers repeat — check Redis persistence",
            metadata: ["key": "\(key)", "seen": "\(ticket.highest)", "now": "\(count)"])
    }
}
