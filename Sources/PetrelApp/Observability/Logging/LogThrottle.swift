import Synchronization

/// Lets one line through per interval and counts the rest, so that a backend outage under load
/// logs its cause once a second instead of once per request (the access log already has a line
/// for each failed request).
final class LogThrottle: Sendable {
    private let interval: Duration
    private let state = Mutex<(lastLogged: ContinuousClock.Instant?, suppressed: Int)>((nil, 0))

    init(interval: Duration = .seconds(1)) {
        self.interval = interval
    }

    /// Calls `log` with the number of lines held back since the last one, or counts this one.
    func callAsFunction(_ log: (_ suppressed: Int) -> Void) {
        let now = ContinuousClock.now
        let suppressed: Int? = state.withLock { state in
            if let last = state.lastLogged, now - last < interval {
                state.suppressed += 1
                return nil
            }
            defer { state = (now, 0) }
            return state.suppressed
        }
        if let suppressed { log(suppressed) }
    }
}
