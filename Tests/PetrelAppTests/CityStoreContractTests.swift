import ElasticsearchClient
import Foundation
import Logging
import Testing
import TestSupport

@testable import PetrelApp

/// One store of each kind, on real files and a real (Elasticsearch-compatible) server.
final class StoreFixture: Sendable {
    enum Kind: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case memory, sqlite, elasticsearch
        var testDescription: String { rawValue }
    }

    /// Elasticsearch runs only where osmem-server is (always under CI); `elasticsearchIsHere` says why when it is not.
    static let kinds: [Kind] = ServerBinary.elasticsearch.isAvailable ? Kind.allCases : [.memory, .sqlite]

    let store: any CityStore
    private let server: ElasticsearchServer?
    private let client: ElasticsearchClient?

    init(_ kind: Kind) async throws {
        let logger = Logger(label: "test")
        switch kind {
        case .memory:
            (store, server, client) = (MemoryCityStore(), nil, nil)
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("petrel-cities-\(UUID().uuidString)").path
            (store, server, client) = (SQLiteCityStore(database: try SQLiteDatabase(directory: directory, logger: logger)), nil, nil)
        case .elasticsearch:
            let server = try ElasticsearchServer()
            let client = try ElasticsearchClient(
                configuration: ElasticsearchConfiguration(url: server.url, requestTimeout: .seconds(5)), logger: logger)
            let index = ElasticsearchCityIndex(client: client, index: "cities", shards: 1, replicas: 0, logger: logger)
            do {
                try await index.setUp()
            } catch {
                // A client dropped unshut ends the test process.
                try? await client.shutdown()
                throw error
            }
            (store, self.server, self.client) = (ElasticsearchCityStore(index: index), server, client)
        }
    }

    /// Runs `body` with a fresh store and closes it afterwards, also when `body` throws.
    static func with(_ kind: Kind, _ body: (any CityStore) async throws -> Void) async throws {
        let fixture = try await StoreFixture(kind)
        do {
            try await body(fixture.store)
        } catch {
            try await fixture.close()
            throw error
        }
        try await fixture.close()
    }

    private func close() async throws {
        try await client?.shutdown()
        server?.stop()
    }
}

/// The behaviour every `CityStore` promises, run against each backend so that they agree.
@Suite("City store contract", .serialized)
struct CityStoreContractTests {
    @Test(.enabled(if: ServerBinary.elasticsearch.isAvailable, Comment(rawValue: ServerBinary.elasticsearch.missingMessage)))
    func elasticsearchIsHere() throws {
        _ = try ServerBinary.elasticsearch.requirePath()
    }

    func name(_ raw: String) throws -> CityName { try CityName(raw) }

    @Test(arguments: StoreFixture.kinds)
    func createsThenUpdatesWithANewETag(_ kind: StoreFixture.Kind) async throws {
        try await StoreFixture.with(kind) { store in
        let (created, outcome) = try await store.put(try name("Lisbon"), population: 545_923, precondition: nil)
        #expect(outcome == .created)
        #expect(try await store.city(try name("Lisbon")) == created)
        let (updated, secondOutcome) = try await store.put(try name("Lisbon"), population: 548_703, precondition: nil)
        #expect(secondOutcome == .updated)
        #expect(updated.etag != created.etag)
        #expect(try await store.city(try name("lisbon"))?.population == 548_703)
        #expect(try await store.city(try name("Porto")) == nil)
        }
    }

    @Test(arguments: StoreFixture.kinds)
    func oneCityWhateverTheCaseOrNormalisation(_ kind: StoreFixture.Kind) async throws {
        try await StoreFixture.with(kind) { store in
        _ = try await store.put(try name("São Paulo"), population: 1, precondition: nil)
        let decomposed = "Sa\u{0303}o paulo"
        #expect(try await store.city(try name(decomposed))?.name == "São Paulo")
        #expect(try await store.city(try name("SÃO PAULO"))?.population == 1)
        // The latest write's spelling is the one shown, normalised to NFC.
        let (_, outcome) = try await store.put(try name(decomposed), population: 2, precondition: nil)
        #expect(outcome == .updated)
        let page = try await store.list(prefix: "", after: nil, limit: 10)
        #expect(page.cities.map(\.name) == ["São paulo"])
        #expect(page.cities.first?.name.unicodeScalars.count == 9)
        // Full case folding and invisible characters.
        _ = try await store.put(try name("Straße"), population: 3, precondition: nil)
        #expect(try await store.city(try name("STRASSE"))?.name == "Straße")
        _ = try await store.put(try name("Oslo"), population: 4, precondition: nil)
        #expect(try await store.city(try name("Os\u{200B}lo"))?.population == 4)
        }
    }

    /// `If-None-Match: *`: the write creates or fails, atomically with the store's own check.
    @Test(arguments: StoreFixture.kinds)
    func createOnlyNeverOverwrites(_ kind: StoreFixture.Kind) async throws {
        try await StoreFixture.with(kind) { store in
            let oslo = try name("Oslo")
            let (created, outcome) = try await store.put(oslo, population: 1, precondition: .absent)
            #expect(outcome == .created)
            await #expect(throws: StoreError.preconditionFailed) { try await store.put(oslo, population: 2, precondition: .absent) }
            #expect(try await store.city(oslo)?.population == 1)
            #expect(try await store.city(oslo)?.etag == created.etag)
            let notThatVersion = RequestPrecondition(ifNoneMatch: .tags(["W/" + created.etag]))
            await #expect(throws: StoreError.preconditionFailed) { try await store.put(oslo, population: 3, precondition: notThatVersion) }
            let (updated, _) = try await store.put(oslo, population: 4, precondition: RequestPrecondition(ifNoneMatch: .tags(["other"])))
            #expect(updated.population == 4)
        }
    }

    @Test(arguments: StoreFixture.kinds)
    func ifMatchGuardsEveryWrite(_ kind: StoreFixture.Kind) async throws {
        try await StoreFixture.with(kind) { store in
        let oslo = try name("Oslo")
        await #expect(throws: StoreError.preconditionFailed) { try await store.put(oslo, population: 1, precondition: .exists) }
        #expect(try await store.city(oslo) == nil, "a failed precondition creates nothing")

        let (first, _) = try await store.put(oslo, population: 1, precondition: nil)
        let (second, _) = try await store.put(oslo, population: 2, precondition: .etagIn([first.etag]))
        await #expect(throws: StoreError.preconditionFailed) { try await store.put(oslo, population: 3, precondition: .etagIn([first.etag])) }
        #expect(try await store.city(oslo)?.population == 2, "a stale ETag changes nothing")
        _ = try await store.put(oslo, population: 4, precondition: .exists)

        let current = try #require(try await store.city(oslo))
        await #expect(throws: StoreError.preconditionFailed) { try await store.delete(oslo, precondition: .etagIn([second.etag])) }
        #expect(try await store.city(oslo) != nil)
        #expect(try await store.delete(oslo, precondition: .etagIn(["nope", current.etag])))
        #expect(try await store.delete(oslo, precondition: nil) == false)
        // Created again, the city never gets back an ETag from before the delete.
        let (reborn, _) = try await store.put(oslo, population: 5, precondition: nil)
        #expect(![first.etag, second.etag, current.etag].contains(reborn.etag))
        await #expect(throws: StoreError.preconditionFailed) { try await store.put(oslo, population: 6, precondition: .etagIn([first.etag])) }
        }
    }

    @Test(arguments: StoreFixture.kinds)
    func listsPagesInCodePointOrderByPrefix(_ kind: StoreFixture.Kind) async throws {
        try await StoreFixture.with(kind) { store in
        for city in ["Berlin", "bern", "Bergen", "Bonn", "Athens", "Zürich", "Århus", "Bremen", "Be%_*"] {
            _ = try await store.put(try name(city), population: 1, precondition: nil)
        }
        var names: [String] = []
        var after: String?
        repeat {
            let page = try await store.list(prefix: "be", after: after, limit: 2)
            #expect(page.cities.count <= 2)
            names += page.cities.map(\.name)
            after = page.nextAfter
        } while after != nil
        #expect(names == ["Be%_*", "Bergen", "Berlin", "bern"], "wildcard characters in names are plain characters")

        let all = try await store.list(prefix: "", after: nil, limit: 100)
        #expect(all.cities.map(\.name) == ["Athens", "Be%_*", "Bergen", "Berlin", "bern", "Bonn", "Bremen", "Zürich", "Århus"])
        #expect(all.nextAfter == nil)
        #expect(try await store.list(prefix: "å", after: nil, limit: 5).cities.map(\.name) == ["Århus"])
        #expect(try await store.list(prefix: "x", after: nil, limit: 5).cities.isEmpty)
        }
    }

    @Test(arguments: StoreFixture.kinds)
    func concurrentUpsertsLeaveOneConsistentVersion(_ kind: StoreFixture.Kind) async throws {
        try await StoreFixture.with(kind) { store in
        let city = try name("Tokyo")
        let writes = try await withThrowingTaskGroup(of: City.self) { group in
            for population in 1...24 {
                group.addTask { try await store.put(city, population: Int64(population), precondition: nil).0 }
            }
            return try await group.reduce(into: [City]()) { $0.append($1) }
        }
        #expect(Set(writes.map(\.etag)).count == 24, "every write made a new version")
        let final = try #require(try await store.city(city))
        #expect(writes.contains { $0.etag == final.etag && $0.population == final.population }, "the final state is one whole write")
        }
    }
}
