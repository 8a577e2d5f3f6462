import Foundation

/// A stored city. `etag` identifies this version of it: it changes with every write, and a
/// write sent with `If-Match` succeeds only while it still matches.
struct City: Sendable, Equatable {
    let name: String
    let population: Int64
    let updatedAt: Date
    let etag: String
}

/// An `If-Match` or `If-None-Match` value: `*` (any current version) or a list of entity tags,
/// unquoted, weak ones keeping their `W/` (so a quoted `"*"` is a tag like any other).
enum EntityTags: Sendable, Equatable {
    case any
    case tags([String])
}

/// A request's conditions (RFC 9110 §13.1), checked against the city as it is now: `If-Match`
/// by strong comparison (a weak tag never matches), `If-None-Match` by weak comparison.
/// `If-None-Match: *` makes a write create-only; on a read, a failed `If-None-Match` is a 304.
struct RequestPrecondition: Sendable, Equatable {
    var ifMatch: EntityTags?
    var ifNoneMatch: EntityTags?

    static let exists = RequestPrecondition(ifMatch: .any)
    static let absent = RequestPrecondition(ifNoneMatch: .any)
    static func etagIn(_ etags: [String]) -> RequestPrecondition { RequestPrecondition(ifMatch: .tags(etags)) }

    /// Only a city that does not exist yet may be written; a store makes this check atomic with the write.
    var requiresAbsence: Bool { ifNoneMatch == .any }

    func isSatisfied(by current: City?) -> Bool {
        switch ifMatch {
        case nil: break
        case .any: guard current != nil else { return false }
        case .tags(let tags): guard let current, tags.contains(current.etag) else { return false }
        }
        guard let current else { return true }
        switch ifNoneMatch {
        case nil: return true
        case .any: return false
        case .tags(let tags): return !tags.contains { $0 == current.etag || $0 == "W/" + current.etag }
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
