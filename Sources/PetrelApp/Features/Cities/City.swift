import Foundation

/// A stored city. `etag` identifies this version of it: it changes with every write, and a
/// write sent with `If-Match` succeeds only while it still matches.
struct City: Sendable, Equatable {
    let name: String
    let population: Int64
    let updatedAt: Date
    let etag: String
}

/// `If-Match` on a write: `*` (the city must exist) or the ETags the caller has seen.
enum WritePrecondition: Sendable, Equatable {
    case exists
    case etagIn([String])

    func isSatisfied(by current: City?) -> Bool {
        guard let current else { return false }
        switch self {
        case .exists: return true
        case .etagIn(let etags): return etags.contains(current.etag)
        }
    }
}

struct CityPage: Sendable, Equatable {
    let cities: [City]
    /// The key of the last city on this page when more follow; feed it back as `after`.
    let nextAfter: String?
}

enum CityWriteOutcome: Sendable, Equatable {
    case created, updated
}

/// RFC 3339 timestamps with milliseconds, as the API and the Elasticsearch documents carry them.
enum Timestamp {
    private static let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    static func string(_ date: Date) -> String { style.format(date) }
    static func date(_ string: String) -> Date? { try? style.parse(string) }
    static func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded(.down)) }
    static func date(milliseconds: Int64) -> Date { Date(timeIntervalSince1970: Double(milliseconds) / 1000) }
}
