/// An index's settings and explicit mapping, as sent to `PUT /{index}`.
public struct IndexDefinition: Sendable, Encodable {
    public var shards: Int
    public var replicas: Int
    /// Field name → Elasticsearch type (`keyword`, `long`, `date`, …).
    public var fields: [String: String]
    /// Refuse documents with fields the mapping does not name (`"dynamic": "strict"`).
    public var strict: Bool
    /// Aliases created with the index, in the same call.
    public var aliases: [String]

    public init(shards: Int, replicas: Int, fields: [String: String], strict: Bool = true, aliases: [String] = []) {
        self.shards = shards
        self.replicas = replicas
        self.fields = fields
        self.strict = strict
        self.aliases = aliases
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
    private struct Alias: Encodable {}
    private enum CodingKeys: String, CodingKey { case settings, mappings, aliases }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        if !aliases.isEmpty {
            try container.encode(Dictionary(uniqueKeysWithValues: aliases.map { ($0, Alias()) }), forKey: .aliases)
        }
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

    /// The concrete index `name` resolves to (itself, or the index behind an alias) and its mapped
    /// fields, name → type (objects without a type are left out); `nil` when there is neither such
    /// an index nor such an alias.
    public func mapping(of name: String) async throws(ElasticsearchError) -> (index: String, fields: [String: String])? {
        struct Field: Decodable { let type: String? }
        struct Mappings: Decodable { let properties: [String: Field]? }
        struct IndexMapping: Decodable { let mappings: Mappings }
        let response = try await send(.GET, "/" + Self.pathSegment(name) + "/_mapping", idempotency: .idempotent)
        if response.status == 404, response.error.isIndexNotFound { return nil }
        guard response.status == 200 else { throw response.error }
        // Keyed by the concrete index name, which differs from `name` when it is an alias.
        let byIndex = try response.decode([String: IndexMapping].self)
        guard let (index, mapping) = byIndex.first else { return (name, [:]) }
        return (index, (mapping.mappings.properties ?? [:]).compactMapValues(\.type))
    }

    /// Points `alias` at `index` (`POST /_aliases`).
    public func addAlias(_ alias: String, to index: String) async throws(ElasticsearchError) {
        struct Actions: Encodable {
            struct Action: Encodable { let add: Add }
            struct Add: Encodable { let index: String, alias: String }
            let actions: [Action]
        }
        let body = try Self.json(Actions(actions: [.init(add: .init(index: index, alias: alias))]))
        let response = try await send(.POST, "/_aliases", body: body, idempotency: .idempotent)
        guard response.status == 200 else { throw response.error }
    }

    /// Makes recent writes visible to search.
    public func refresh(_ index: String) async throws(ElasticsearchError) {
        let response = try await send(.POST, "/" + Self.pathSegment(index) + "/_refresh", idempotency: .idempotent)
        guard response.status == 200 else { throw response.error }
    }
}
