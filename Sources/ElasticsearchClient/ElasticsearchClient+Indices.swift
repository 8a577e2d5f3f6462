/// An index's settings and explicit mapping, as sent to `PUT /{index}`.
public struct IndexDefinition: Sendable, Encodable {
    public var shards: Int
    public var replicas: Int
    /// Field name → Elasticsearch type (`keyword`, `long`, `date`, …).
    public var fields: [String: String]
    /// Refuse documents with fields the mapping does not name (`"dynamic": "strict"`).
    public var strict: Bool

    public init(shards: Int, replicas: Int, fields: [String: String], strict: Bool = true) {
        self.shards = shards
        self.replicas = replicas
        self.fields = fields
        self.strict = strict
    }

    private struct Field: Encodable { let type: String }
    private struct Settings: Encodable {
        let number_of_shards: Int
        let number_of_replicas: Int
    }
    private struct Mappings: Encodable {
        let dynamic: String
        let properties: [String: Field]
    }
    private enum CodingKeys: String, CodingKey { case settings, mappings }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Settings(number_of_shards: shards, number_of_replicas: replicas), forKey: .settings)
        try container.encode(
            Mappings(dynamic: strict ? "strict" : "true", properties: fields.mapValues { Field(type: $0) }), forKey: .mappings)
    }
}

/// `GET /_cluster/health`: green, yellow (replicas unassigned, e.g. a single node) or red.
public struct ClusterHealth: Sendable, Decodable {
    public let status: String
    public let numberOfNodes: Int?

    enum CodingKeys: String, CodingKey {
        case status
        case numberOfNodes = "number_of_nodes"
    }
}

extension ElasticsearchClient {
    /// The cluster's health, or one index's when `index` is given.
    public func clusterHealth(index: String? = nil) async throws(ElasticsearchError) -> ClusterHealth {
        let path = "/_cluster/health" + (index.map { "/" + Self.pathSegment($0) } ?? "")
        let response = try await send(.GET, path, idempotency: .idempotent)
        guard response.status == 200 else { throw response.error }
        return try response.decode(ClusterHealth.self)
    }

    /// Creates the index; `false` when it already exists (another replica may have won the race).
    @discardableResult
    public func createIndex(_ index: String, _ definition: IndexDefinition) async throws(ElasticsearchError) -> Bool {
        let response = try await send(.PUT, "/" + Self.pathSegment(index), body: try Self.json(definition), idempotency: .idempotent)
        if response.status == 200 { return true }
        if case .server(400, "resource_already_exists_exception", _) = response.error { return false }
        throw response.error
    }

    /// The mapped fields of an index: name → type (objects without a type are left out); `nil`
    /// when there is no such index.
    public func fieldTypes(of index: String) async throws(ElasticsearchError) -> [String: String]? {
        struct Field: Decodable { let type: String? }
        struct Mappings: Decodable { let properties: [String: Field]? }
        struct IndexMapping: Decodable { let mappings: Mappings }
        let response = try await send(.GET, "/" + Self.pathSegment(index) + "/_mapping", idempotency: .idempotent)
        if response.status == 404, response.error.isIndexNotFound { return nil }
        guard response.status == 200 else { throw response.error }
        // Keyed by the concrete index name, which differs from `index` when it is an alias.
        let byIndex = try response.decode([String: IndexMapping].self)
        guard let mapping = byIndex.values.first else { return [:] }
        return (mapping.mappings.properties ?? [:]).compactMapValues(\.type)
    }

    /// Makes recent writes visible to search.
    public func refresh(_ index: String) async throws(ElasticsearchError) {
        let response = try await send(.POST, "/" + Self.pathSegment(index) + "/_refresh", idempotency: .idempotent)
        guard response.status == 200 else { throw response.error }
    }
}
