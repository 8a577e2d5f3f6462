@testable import ElasticsearchClient
import Foundation
import Logging
import Testing
import TestSupport

private struct CitySource: Codable, Sendable, Equatable {
    let name: String
    let population: Int64
}

/// Runs `body` with a client, and shuts the client down whether or not `body` throws (a client
/// dropped unshut ends the test process).
private func withClient(_ url: String, timeout: Duration = .seconds(5), _ body: (ElasticsearchClient) async throws -> Void) async throws {
    let es = try ElasticsearchClient(
        configuration: ElasticsearchConfiguration(url: url, requestTimeout: timeout), logger: Logger(label: "test"))
    do {
        try await body(es)
    } catch {
        try? await es.shutdown()
        throw error
    }
    try await es.shutdown()
}

@Suite("Elasticsearch client against osmem-server", .serialized, .enabled(if: ServerBinary.elasticsearch.isAvailable, "\(ServerBinary.elasticsearch.missingMessage)"))
struct ElasticsearchClientLiveTests {
    let definition = IndexDefinition(shards: 1, replicas: 0, fields: ["name": "keyword", "population": "long"])

    @Test func createsAnIndexOnceAndReadsItsMapping() async throws {
        let server = try ElasticsearchServer()
        try await withClient(server.url) { es async throws in
            #expect(try await es.mapping(of: "cities") == nil, "no index yet")
            #expect(try await es.createIndex("cities", definition) == true)
            #expect(try await es.createIndex("cities", definition) == false)
            #expect(try await es.mapping(of: "cities")?.fields == ["name": "keyword", "population": "long"])
            #expect(try await ["green", "yellow"].contains(es.clusterHealth(index: "cities").status))
        }
    }

    @Test func documentsCarryVersionsAndConditionalWritesConflict() async throws {
        let server = try ElasticsearchServer()
        try await withClient(server.url) { es async throws in
            try await es.createIndex("cities", definition)
            // An id with a slash, a space and non-ASCII letters reaches the server intact.
            let id = "são paulo/sp"
            let created = try await es.putDocument(CitySource(name: "São Paulo", population: 1), index: "cities", id: id, refresh: .waitFor)
            try await es.refresh("cities")
            #expect(created.result == "created")
            let read = try #require(try await es.document(CitySource.self, index: "cities", id: id))
            #expect(read.source == CitySource(name: "São Paulo", population: 1))
            #expect(read.version == created.version)

            let updated = try await es.putDocument(
                CitySource(name: "São Paulo", population: 2), index: "cities", id: id, ifVersion: read.version)
            #expect(updated.result == "updated")
            #expect(updated.version.sequenceNumber > created.version.sequenceNumber)

            // The version read before the update is stale now.
            await #expect { try await es.putDocument(CitySource(name: "x", population: 3), index: "cities", id: id, ifVersion: read.version) }
                throws: { ($0 as? ElasticsearchError)?.isVersionConflict == true }
            #expect(try await es.document(CitySource.self, index: "cities", id: id)?.source.population == 2)

            #expect(try await es.deleteDocument(index: "cities", id: id, ifVersion: updated.version) != nil)
            #expect(try await es.deleteDocument(index: "cities", id: id) == nil)
            #expect(try await es.document(CitySource.self, index: "cities", id: id) == nil)
        }
    }

    @Test func prefixSearchPagesInKeyOrder() async throws {
        let server = try ElasticsearchServer()
        try await withClient(server.url) { es async throws in
            try await es.createIndex("cities", definition)
            for name in ["berlin", "bern", "bergen", "bonn", "athens", "bremen"] {
                try await es.putDocument(CitySource(name: name, population: 1), index: "cities", id: name, refresh: .waitFor)
            }
            var seen: [String] = []
            var after: String?
            repeat {
                let page = try await es.search(
                    CitySource.self, index: "cities", PrefixSearch(field: "name", prefix: "be", sortField: "name", size: 2, searchAfter: after))
                seen += page.map(\.source.name)
                after = page.count == 2 ? page.last?.source.name : nil
            } while after != nil
            #expect(seen == ["bergen", "berlin", "bern"])
        }
    }

    @Test func aMissingIndexIsATypedError() async throws {
        let server = try ElasticsearchServer()
        try await withClient(server.url) { es async throws in
            await #expect { try await es.document(CitySource.self, index: "nope", id: "x") } throws: { error in
                (error as? ElasticsearchError)?.isIndexNotFound == true
            }
        }
    }

    @Test func aStoppedServerIsAConnectionErrorWithinTheBudget() async throws {
        let server = try ElasticsearchServer()
        try await withClient(server.url, timeout: .milliseconds(500)) { es async throws in
            server.stop()
            let start = ContinuousClock.now
            await #expect { try await es.clusterHealth() } throws: { error in
                switch error as? ElasticsearchError {
                case .connection, .timeout: true
                default: false
                }
            }
            #expect(ContinuousClock.now - start < .seconds(2))
            try server.start()
            #expect(try await es.clusterHealth().status == "green")
        }
    }
}

@Suite("Elasticsearch client configuration")
struct ElasticsearchConfigurationTests {
    @Test(arguments: ["localhost:9200", "ftp://host", "http://", "http://user:pw@host:9200"])
    func rejectsBadURLs(_ url: String) {
        #expect(throws: ElasticsearchError.self) { try ElasticsearchConfiguration(url: url) }
    }

    @Test func redactsNothingItDoesNotHave() throws {
        #expect(try ElasticsearchConfiguration(url: "https://es.internal:9200/").redacted == "https://es.internal:9200")
    }

    @Test func backoffIsCappedAndJittered() {
        let policy = RetryPolicy(maximumAttempts: 10, initialDelay: .milliseconds(100), maximumDelay: .milliseconds(400))
        let delays = (1...200).map { _ in policy.delay(after: 8) }
        #expect(delays.allSatisfy { $0 >= .zero && $0 <= .milliseconds(400) })
        #expect(Set(delays).count > 100)
    }
}
