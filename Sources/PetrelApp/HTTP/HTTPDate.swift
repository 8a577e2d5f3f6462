import Atomics

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The `Date` header (RFC 9110's IMF-fixdate, `Tue, 24 Nov 2026 06:04:41 GMT`) for responses
/// written by `EventLoopResponder`; Hummingbird adds its own to the router's. Formatted when the
/// second changes, not per response.
final class HTTPDate: Sendable {
    private final class Stamp: AtomicReference, Sendable {
        let second: Int
        let text: String

        init(second: Int) {
            self.second = second
            self.text = HTTPDate.format(secondsSinceEpoch: second)
        }
    }

    private let latest = ManagedAtomic(Stamp(second: Int(time(nil))))

    var current: String {
        let now = Int(time(nil))
        let stamp = latest.load(ordering: .acquiring)
        if stamp.second == now { return stamp.text }
        // Two loops may format the same second at once; either result is right.
        let fresh = Stamp(second: now)
        latest.store(fresh, ordering: .releasing)
        return fresh.text
    }

    static func format(secondsSinceEpoch: Int) -> String {
        let time = CivilTime(secondsSinceEpoch: secondsSinceEpoch)
        let weekdays: StaticString = "SunMonTueWedThuFriSat"
        let months: StaticString = "JanFebMarAprMayJunJulAugSepOctNovDec"
        return String(unsafeUninitializedCapacity: 29) { text in
            for index in 0..<3 {
                text[index] = weekdays.utf8Start[time.weekday * 3 + index]
                text[8 + index] = months.utf8Start[(time.month - 1) * 3 + index]
            }
            text[3] = UInt8(ascii: ",")
            text[4] = UInt8(ascii: " ")
            text.putTwoDigits(time.day, at: 5)
            text[7] = UInt8(ascii: " ")
            text[11] = UInt8(ascii: " ")
            text.putYear(of: time, at: 12)
            text[16] = UInt8(ascii: " ")
            text.putClock(of: time, at: 17)
            for (offset, byte) in " GMT".utf8.enumerated() { text[25 + offset] = byte }
            return 29
        }
    }
}
