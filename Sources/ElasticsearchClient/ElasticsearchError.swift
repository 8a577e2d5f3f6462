/// What went wrong talking to Elasticsearch, with the server's own error type and reason when it
/// sent one.
public enum ElasticsearchError: Error, Sendable, CustomStringConvertible {
    case invalidConfiguration(String)
    /// The cluster could not be reached (refused, reset, TLS failure, …).
    case connection(String)
    /// No answer within the call's budget.
    case timeout
    /// The cluster answered with an error: `type` is Elasticsearch's (`version_conflict_engine_exception`, …).
    case server(status: Int, type: String, reason: String)
    /// An answer this client could not read.
    case unexpectedResponse(status: Int, String)
    /// The caller went away (its task was cancelled) before the call finished.
    case cancelled

    public var description: String {
        switch self {
        case .invalidConfiguration(let reason): "invalid Elasticsearch configuration: \(reason)"
        case .connection(let reason): "cannot reach Elasticsearch: \(reason)"
        case .timeout: "Elasticsearch did not answer in time"
        case .server(let status, let type, let reason): "Elasticsearch answered \(status) \(type): \(reason)"
        case .unexpectedResponse(let status, let reason): "unexpected Elasticsearch response (\(status)): \(reason)"
        case .cancelled: "the Elasticsearch call was cancelled"
        }
    }

    /// An `if_seq_no`/`if_primary_term` write lost to a concurrent one (or the document is gone).
    public var isVersionConflict: Bool {
        if case .server(409, _, _) = self { return true }
        return false
    }

    /// The call named an index that does not exist.
    public var isIndexNotFound: Bool {
        if case .server(404, "index_not_found_exception", _) = self { return true }
        return false
    }

    /// Overloaded or a proxy could not reach a node: the same call may succeed in a moment.
    static func isTransient(status: Int) -> Bool {
        [429, 502, 503, 504].contains(status)
    }

    /// Worth another attempt: the cluster may answer differently in a moment.
    var isTransient: Bool {
        switch self {
        case .connection, .timeout: true
        case .server(let status, _, _), .unexpectedResponse(let status, _): Self.isTransient(status: status)
        case .invalidConfiguration, .cancelled: false
        }
    }
}

/// Elasticsearch's error body: `{"error": {"type": …, "reason": …}, "status": …}`.
struct ErrorBody: Decodable {
    struct Cause: Decodable {
        let type: String
        let reason: String?
    }
    let error: Cause
}
