import NIOConcurrencyHelpers

/// A backend the service needs in order to serve. Its check runs in the background, never on
/// the probe's path; it throws, with a message an operator can act on, when the backend is unusable.
public protocol DependencyCheck: Sendable {
    /// The `dependency` label: redis, elasticsearch or sqlite.
    var name: String { get }
    func check() async throws
}

/// Owns whether the service should receive traffic: its phase (starting → serving → draining),
/// the operator's switch, the minimum uptime, and the last result of every backend check.
/// The readiness probe reads this without I/O.
public final class Readiness: Sendable {
    public enum Phase: String, Sendable {
        case starting, serving, draining
    }

    public struct Status: Sendable {
        public let isReady: Bool
        /// Every gate, by name: `ok`, or why it holds traffic back.
        public let checks: [(name: String, result: String)]
        public var failing: [(name: String, result: String)] { checks.filter { $0.result != Self.ok } }
        static let ok = "ok"
    }

    private struct State {
        var phase = Phase.starting
        var operatorDisabled = false
        /// Backend name → nil while its first check is pending, else the failure (or ok).
        var dependencies: [String: String?] = [:]
    }

    private let state = NIOLockedValueBox(State())
    private let startedAt = ContinuousClock.now
    private let minimumUptime: Duration

    public init(minimumUptime: Duration) {
        self.minimumUptime = minimumUptime
    }

    public var uptime: Duration { ContinuousClock.now - startedAt }

    public var phase: Phase { state.withLockedValue(\.phase) }

    /// Registers a backend; the service is unready until its first check passes.
    func register(dependency name: String) {
        state.withLockedValue { $0.dependencies[name] = .some(nil) }
    }

    func markServing() {
        state.withLockedValue { if $0.phase == .starting { $0.phase = .serving } }
    }

    func beginDraining() {
        state.withLockedValue { $0.phase = .draining }
    }

    func setOperatorDisabled(_ disabled: Bool) {
        state.withLockedValue { $0.operatorDisabled = disabled }
    }

    func record(dependency name: String, failure: String?) {
        state.withLockedValue { $0.dependencies[name] = .some(failure ?? Status.ok) }
    }

    public var status: Status {
        let uptime = self.uptime
        return state.withLockedValue { state in
            var checks: [(String, String)] = []
            switch state.phase {
            case .starting: checks.append(("server", "not listening yet"))
            case .serving: checks.append(("server", Status.ok))
            case .draining: checks.append(("server", "draining for shutdown"))
            }
            checks.append(("operator", state.operatorDisabled ? "disabled by an operator (POST /readiness/enable)" : Status.ok))
            if uptime < minimumUptime {
                checks.append(("uptime", "up \(uptime.seconds.rounded(toPlaces: 1))s of the \(minimumUptime.seconds)s required"))
            }
            for name in state.dependencies.keys.sorted() {
                checks.append((name, (state.dependencies[name] ?? nil) ?? "first check pending"))
            }
            return Status(isReady: checks.allSatisfy { $0.1 == Status.ok }, checks: checks)
        }
    }
}

extension Duration {
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}

extension Double {
    func rounded(toPlaces places: Int) -> Double {
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        return (self * scale).rounded() / scale
    }
}
