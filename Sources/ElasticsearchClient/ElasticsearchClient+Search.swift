/// A search for documents whose keyword `field` starts with `prefix`, sorted ascending by
/// `sortField`, one page at a time (`search_after` the previous page's last sort value).
public struct PrefixSearch: Sendable, Encodable {
    public var field: String
    public var prefix: String
    public var sortField: String
    public var size: Int
    public var searchAfter: String?

    public init(field: String, prefix: String, sortField: String, size: Int, searchAfter: String? = nil) {
        self.field = field
        self.prefix = prefix
        self.sortField = sortField
        self.size = size
        self.searchAfter = searchAfter
    }

    private enum CodingKeys: String, CodingKey {
        case size, query, sort
        case searchAfter = "search_after"
        case seqNoPrimaryTerm = "seq_no_primary_term"
        case trackTotalHits = "track_total_hits"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(size, forKey: .size)
        if prefix.isEmpty {
            try container.encode(["match_all": [String: String]()], forKey: .query)
        } else {
            try container.encode(["prefix": [field: ["value": prefix]]], forKey: .query)
        }
        try container.encode([[sortField: "asc"]], forKey: .sort)
        if let searchAfter { try container.encode([searchAfter], forKey: .searchAfter) }
        try container.encode(true, forKey: .seqNoPrimaryTerm)
        try container.encode(false, forKey: .trackTotalHits)
    }
}

extension ElasticsearchClient {
    /// One page of matching documents, in sort order.
    public func search<Source: Decodable & Sendable>(
        _: Source.Type, index: String, _ search: PrefixSearch
    ) async throws(ElasticsearchError) -> [Document<Source>] {
        let response = try await send(
            .POST, "/" + Self.pathSegment(index) + "/_search", body: try Self.json(search), idempotency: .idempotent)
        guard response.status == 200 else { throw response.error }
        return try response.decode(SearchResponse<Source>.self).hits.hits.map {
            Document(id: $0._id, source: $0._source, version: DocumentVersion(sequenceNumber: $0._seq_no, primaryTerm: $0._primary_term))
        }
    }
}

/// The answer to `POST /{index}/_search`, the parts this client reads.
struct SearchResponse<Source: Decodable>: Decodable {
    struct Hit: Decodable {
        let _id: String
        let _source: Source
        let _seq_no: Int64
        let _primary_term: Int64
    }
    struct Hits: Decodable { let hits: [Hit] }
    let hits: Hits
}
