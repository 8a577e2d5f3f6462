import Foundation
import Testing

@testable import PetrelApp

@Suite("The Date header")
struct HTTPDateTests {
    static func imfFixdate() -> DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter
    }

    @Test func rfc9110sExample() {
        #expect(HTTPDate.format(secondsSinceEpoch: 784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
    }

    /// Weekdays, days and months against Foundation's calendar (see `CalendarInstants`).
    @Test func datesMatchFoundationsCalendar() {
        let formatter = Self.imfFixdate()
        for seconds in CalendarInstants.withRandom() {
            let expected = formatter.string(from: Date(timeIntervalSince1970: Double(seconds)))
            #expect(HTTPDate.format(secondsSinceEpoch: seconds) == expected, "at \(seconds) s")
        }
    }

    @Test func currentIsNow() throws {
        let formatter = Self.imfFixdate()
        let before = Date().timeIntervalSince1970.rounded(.down)
        let parsed = try #require(formatter.date(from: HTTPDate().current)).timeIntervalSince1970
        #expect(parsed >= before && parsed <= Date().timeIntervalSince1970)
    }
}
