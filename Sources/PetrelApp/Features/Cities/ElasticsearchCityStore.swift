import ElasticsearchClient
import Foundation

/// Cities as documents in one Elasticsearch index, the document id being `CityName.key`. The
/// ETag is the document's primary term and sequence number; `If-Match` reads the document,
/// checks it, and writes with `if_seq_no`/`if_primary_term`, so a concurrent write in between
/// makes this one fail with 412 instead of being lost. Reads by name are real-time; lists are
/// near-real-time (a write shows up after the index's refresh interval, 1 s by default): waiting
/// for the refresh in the write would make it outlast ELASTICSEARCH_TIMEOUT_MS and answer 503
/// for a write that landed. Writes are refused (503) until `index` has verified the index (see
/// `ElasticsearchCityIndex`), so none can make Elasticsearch create it with a dynamic mapping.
struct ElasticsearchCityStore: CityStore {
    let index: ElasticsearchCityIndex
    private var client: ElasticsearchClient { index.client }
    private var indexName: String { index.indexName }

    /// The explicit mapping: exact-match keywords for both spellings of the name.
    static let fields = ["name": "keyword", "name_key": "keyword", "population": "long", "updated_at": "date"]

    struct Source: Codable, Sendable {
        let name: String
        let name_key: String
        let population: Int64
        let updated_at: String
    }

    func city(_ name: CityName) async throws -> City? {
        try await document(name).map(Self.city(from:))
    }

    func put(_ name: CityName, population: Int64, precondition: RequestPrecondition?) async throws -> (City, CityWriteOutcome) {
        try index.requireVerified()
        let stamp = Timestamp.string(Date())
        let source = Source(name: name.display, name_key: name.key, population: population, updated_at: stamp)
        let expected = try await version(of: name, satisfying: precondition)
        do {
            let result = try await observed { () async throws(ElasticsearchError) in
                try await client.putDocument(
                    source, index: indexName, id: name.key, ifVersion: expected, createOnly: precondition?.requiresAbsence == true,
                    requireAlias: true, refresh: .none)
            }
            // The stored form (milliseconds), so this answer equals what a read returns.
            let city = City(name: name.display, population: population, updatedAt: Timestamp.date(stamp) ?? Date(), etag: Self.etag(result.version))
            return (city, result.result == "created" ? .created : .updated)
        } catch {
            throw error.isVersionConflict ? StoreError.preconditionFailed : error
        }
    }

    func delete(_ name: CityName, precondition: RequestPrecondition?) async throws -> Bool {
        try index.requireVerified()
        let expected = try await version(of: name, satisfying: precondition)
        do {
            return try await observed { () async throws(ElasticsearchError) in
                try await client.deleteDocument(index: indexName, id: name.key, ifVersion: expected, refresh: .none)
            } != nil
        } catch {
            throw error.isVersionConflict ? StoreError.preconditionFailed : error
        }
    }

    func list(prefix: String, after: String?, limit: Int) async throws -> CityPage {
        let search = PrefixSearch(field: "name_key", prefix: prefix, sortField: "name_key", size: limit + 1, searchAfter: after)
        let hits = try await observed { () async throws(ElasticsearchError) in try await client.search(Source.self, index: indexName, search) }
        let page = hits.prefix(limit)
        return CityPage(cities: page.map(Self.city(from:)), nextAfter: hits.count > limit ? page.last?.source.name_key : nil)
    }

    /// The version a conditional write must still find, after checking `precondition` against
    /// the current document; `nil` for an unconditional write.
    private func version(of name: CityName, satisfying precondition: RequestPrecondition?) async throws -> DocumentVersion? {
        guard let precondition else { return nil }
        let current = try await document(name)
        guard precondition.isSatisfied(by: current.map(Self.city(from:))) else { throw StoreError.preconditionFailed }
        return current?.version
    }

    private func document(_ name: CityName) async throws(ElasticsearchError) -> Document<Source>? {
        try await observed { () async throws(ElasticsearchError) in try await client.document(Source.self, index: indexName, id: name.key) }
    }

    /// Runs one call, telling `index` when it failed in a way that suggests the index is gone.
    private func observed<Value>(_ call: () async throws(ElasticsearchError) -> Value) async throws(ElasticsearchError) -> Value {
        do {
            return try await call()
        } catch {
            index.noteFailure(error)
            throw error
        }
    }

    private static func city(from document: Document<Source>) -> City {
        City(
            name: document.source.name, population: document.source.population,
            updatedAt: Timestamp.date(document.source.updated_at) ?? .distantPast, etag: etag(document.version))
    }

    private static func etag(_ version: DocumentVersion) -> String {
        "\(version.primaryTerm).\(version.sequenceNumber)"
    }
}
