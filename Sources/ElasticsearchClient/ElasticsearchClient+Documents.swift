/// A document's place in the index's history, for optimistic concurrency
/// (`if_seq_no` / `if_primary_term`).
public struct DocumentVersion: Sendable, Hashable {
    public let sequenceNumber: Int64
    public let primaryTerm: Int64

    public init(sequenceNumber: Int64, primaryTerm: Int64) {
        self.sequenceNumber = sequenceNumber
        self.primaryTerm = primaryTerm
    }
}

public struct Document<Source: Sendable>: Sendable {
    public let id: String
    public let source: Source
    public let version: DocumentVersion
}

/// What a write did: `created`, `updated`, `deleted`, …, and the document's new version.
public struct WriteResult: Sendable, Decodable {
    public let result: String
    public let version: DocumentVersion

    enum CodingKeys: String, CodingKey {
        case result
        case seqNo = "_seq_no"
        case primaryTerm = "_primary_term"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        result = try container.decode(String.self, forKey: .result)
        version = DocumentVersion(
            sequenceNumber: try container.decode(Int64.self, forKey: .seqNo),
            primaryTerm: try container.decode(Int64.self, forKey: .primaryTerm))
    }
}

/// When a write becomes visible to search.
public enum Refresh: String, Sendable {
    /// Near real time: within the index's refresh interval.
    case none = "false"
    /// The call returns once the write is searchable, without forcing a refresh.
    case waitFor = "wait_for"
}

extension ElasticsearchClient {
    /// The document, or `nil` when the index has none with that id.
    public func document<Source: Decodable & Sendable>(
        _: Source.Type, index: String, id: String
    ) async throws(ElasticsearchError) -> Document<Source>? {
        let response = try await send(.GET, Self.documentPath(index, id), idempotency: .idempotent)
        guard response.status == 200 || response.status == 404 else { throw response.error }
        // A 404 is either "no such document" (`found: false`) or "no such index" (an error body).
        guard let found = try? response.decode(GetResponse<Source>.self) else { throw response.error }
        guard found.found else { return nil }
        guard let source = found._source, let seqNo = found._seq_no, let term = found._primary_term else {
            throw .unexpectedResponse(status: response.status, "document \(id) came without _source, _seq_no or _primary_term")
        }
        return Document(id: id, source: source, version: DocumentVersion(sequenceNumber: seqNo, primaryTerm: term))
    }

    /// Creates or replaces the document. With `ifVersion`, only if it is still at that version;
    /// with `createOnly`, only if there is none (`op_type=create`); otherwise
    /// `ElasticsearchError.isVersionConflict`. With `requireAlias`, `index` must be an alias
    /// (`require_alias=true`): a write never creates a missing index with a dynamic mapping, it
    /// fails with `isIndexNotFound`. Sent once: a repeat of a write that did land would report a
    /// conflict, or `updated` for what was a create.
    @discardableResult
    public func putDocument(
        _ source: some Encodable, index: String, id: String, ifVersion: DocumentVersion? = nil, createOnly: Bool = false,
        requireAlias: Bool = false, refresh: Refresh = .none
    ) async throws(ElasticsearchError) -> WriteResult {
        var query = [("refresh", refresh.rawValue)]
        if requireAlias { query.append(("require_alias", "true")) }
        if let ifVersion { query += Self.condition(ifVersion) }
        if createOnly { query.append(("op_type", "create")) }
        let response = try await send(
            .PUT, Self.documentPath(index, id), query: query, body: try Self.json(source),
            idempotency: .once)
        guard response.status == 200 || response.status == 201 else { throw response.error }
        return try response.decode(WriteResult.self)
    }

    /// Deletes the document; `nil` when there was none. Sent once: a repeated delete would
    /// report "not found" for a document it did delete.
    @discardableResult
    public func deleteDocument(
        index: String, id: String, ifVersion: DocumentVersion? = nil, refresh: Refresh = .none
    ) async throws(ElasticsearchError) -> WriteResult? {
        var query = [("refresh", refresh.rawValue)]
        if let ifVersion { query += Self.condition(ifVersion) }
        let response = try await send(.DELETE, Self.documentPath(index, id), query: query, idempotency: .once)
        guard response.status == 200 || response.status == 404 else { throw response.error }
        guard let result = try? response.decode(WriteResult.self) else { throw response.error }
        return result.result == "not_found" ? nil : result
    }

    static func documentPath(_ index: String, _ id: String) -> String {
        "/" + pathSegment(index) + "/_doc/" + pathSegment(id)
    }

    private static func condition(_ version: DocumentVersion) -> [(String, String)] {
        [("if_seq_no", String(version.sequenceNumber)), ("if_primary_term", String(version.primaryTerm))]
    }
}

/// The answer to `GET /{index}/_doc/{id}`.
struct GetResponse<Source: Decodable>: Decodable {
    let found: Bool
    let _source: Source?
    let _seq_no: Int64?
    let _primary_term: Int64?
}
