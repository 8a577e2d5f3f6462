/// A UTC instant broken into calendar fields with integer arithmetic (Howard Hinnant's
/// `civil_from_days`), not `gmtime_r`: glibc's takes a process-wide lock on every call, and every
/// request writes a log line and a `Date` header.
struct CivilTime {
    let year: Int
    let month: Int
    let day: Int
    let hour: Int
    let minute: Int
    let second: Int
    /// 0 for Sunday through 6 for Saturday.
    let weekday: Int

    @inline(__always)
    init(secondsSinceEpoch: Int) {
        let days = secondsSinceEpoch.floorDivided(by: 86_400)
        let secondOfDay = secondsSinceEpoch - days * 86_400
        // Days since 0000-03-01, so the leap day is the last day of its year.
        let shifted = days + 719_468
        let era = shifted.floorDivided(by: 146_097)
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        hour = secondOfDay / 3_600
        minute = secondOfDay / 60 % 60
        second = secondOfDay % 60
        // 1970-01-01 was a Thursday.
        weekday = (days + 4) - (days + 4).floorDivided(by: 7) * 7
    }
}

extension Int {
    /// Division rounding toward negative infinity, so instants before 1970 fall on the right day.
    fileprivate func floorDivided(by divisor: Int) -> Int {
        let quotient = self / divisor
        return (self % divisor < 0) ? quotient - 1 : quotient
    }
}

extension UnsafeMutableBufferPointer<UInt8> {
    /// Writes `value` (0–99) as two ASCII digits at `offset`.
    @inline(__always)
    func putTwoDigits(_ value: Int, at offset: Int) {
        self[offset] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: value / 10)
        self[offset + 1] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: value % 10)
    }

    /// Writes the year as four digits at `offset`.
    @inline(__always)
    func putYear(of time: CivilTime, at offset: Int) {
        putTwoDigits(time.year / 100, at: offset)
        putTwoDigits(time.year % 100, at: offset + 2)
    }

    /// Writes `HH:MM:SS` (8 bytes) at `offset`.
    @inline(__always)
    func putClock(of time: CivilTime, at offset: Int) {
        putTwoDigits(time.hour, at: offset)
        self[offset + 2] = UInt8(ascii: ":")
        putTwoDigits(time.minute, at: offset + 3)
        self[offset + 5] = UInt8(ascii: ":")
        putTwoDigits(time.second, at: offset + 6)
    }
}
