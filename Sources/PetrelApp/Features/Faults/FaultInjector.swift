import Atomics
import NIOConcurrencyHelpers

/// Deliberate failures for testing alerts, autoscaling and rollouts (podinfo-style): a fraction
/// of application requests answered 500, and a random extra delay. Off unless `FAULT_ERROR_RATE`
/// or `FAULT_DELAY_MS` is set, or an operator turns it on; probes and /metrics are never faulted.
public final class FaultInjector: Sendable {
    public struct Settings: Sendable, Equatable, Codable {
        public var enabled: Bool
        /// Fraction of requests answered 500, from 0 to 1.
        public var errorRate: Double
        /// Each request is delayed by a random time up to this.
        public var maximumDelayMilliseconds: Int

        enum CodingKeys: String, CodingKey {
            case enabled
            case errorRate = "error_rate"
            case maximumDelayMilliseconds = "delay_ms"
        }
    }

    private let settings: NIOLockedValueBox<Settings>
    /// Read on every request without the lock: off is the common case and must cost nothing.
    private let enabled: ManagedAtomic<Bool>

    init(errorRate: Double, maximumDelayMilliseconds: Int) {
        let initial = Settings(
            enabled: errorRate > 0 || maximumDelayMilliseconds > 0,
            errorRate: errorRate, maximumDelayMilliseconds: maximumDelayMilliseconds)
        settings = .init(initial)
        enabled = .init(initial.enabled)
    }

    var current: Settings { settings.withLockedValue { $0 } }

    func update(_ change: (inout Settings) -> Void) -> Settings {
        settings.withLockedValue { settings in
            change(&settings)
            enabled.store(settings.enabled, ordering: .relaxed)
            return settings
        }
    }

    /// What to do to one request: a delay (possibly zero) and whether to fail it.
    var isEnabled: Bool { enabled.load(ordering: .relaxed) }

    func decide() -> (delay: Duration, fail: Bool) {
        let settings = current
        guard settings.enabled else { return (.zero, false) }
        let delay = settings.maximumDelayMilliseconds > 0 ? Duration.milliseconds(Int.random(in: 0...settings.maximumDelayMilliseconds)) : .zero
        return (delay, settings.errorRate > 0 && Double.random(in: 0..<1) < settings.errorRate)
    }
}
