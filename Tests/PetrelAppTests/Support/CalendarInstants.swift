/// Seconds since 1970 that calendar arithmetic gets wrong first: the epoch, leap days (2000 is a
/// leap year, 2100 is not), the ends of months and years, and random instants up to 9999.
enum CalendarInstants {
    static let edges = [
        0, 86_399, 86_400, 951_782_399, 951_782_400, 951_868_800, 978_307_199, 1_078_012_800,
        4_107_542_399, 4_107_542_400, 4_102_444_799, 253_402_300_799,
    ]

    static func withRandom(_ count: Int = 2_000) -> [Int] {
        edges + (0..<count).map { _ in Int.random(in: 0...253_402_300_799) }
    }
}
