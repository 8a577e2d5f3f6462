import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing
import TestSupport

/// The city API in the real process: key rotation, and Elasticsearch coming, going and being wrong.
@Suite("City API in the petrel process", .serialized)
struct CityLiveTests {
    static func put(_ port: Int, _ name: String, _ population: Int, key: String) async throws -> UInt {
        try await LiveProcessTests.request(
            port, .PUT, "/cities/\(name)", headers: [("X-API-Key", key), ("Content-Type", "application/json")],
            body: #"{"population": \#(population)}"#
        ).status
    }

    /// Polls `condition` every 100 ms until it holds or `timeout` passes; returns how long it took.
    static func eventually(within timeout: Duration, _ condition: () async throws -> Bool) async throws -> Duration? {
        let start = ContinuousClock.now
        while ContinuousClock.now - start < timeout {
            if try await condition() { return ContinuousClock.now - start }
            try await Task.sleep(for: .milliseconds(100))
        }
        return nil
    }

    /// Waits until `/readiness` answers 200.
    static func becomesReady(_ port: Int, within timeout: Duration = .seconds(10)) async throws -> Bool {
        try await eventually(within: timeout) { try await LiveProcessTests.get(port, "/readiness").status == 200 } != nil
    }

    /// Petrel with its cities on the Elasticsearch at `url` (an index without replicas), taking
    /// writes with `keys`; `settings` adds to or overrides these.
    static func petrel(onElasticsearch url: String, keys: KeyFile, _ settings: [String: String]) throws -> PetrelProcess {
        let base = ["CITY_STORE": "elasticsearch", "ELASTICSEARCH_URL": url, "ELASTICSEARCH_REPLICAS": "0", "API_KEYS_FILE": keys.path]
        return try PetrelProcess(base.merging(settings) { _, new in new })
    }

    @Test func aRotatedKeyFileIsPickedUpWithoutARestart() async throws {
        // The layout the kubelet gives a mounted Secret: keys → ..data/keys, ..data → a timestamped dir.
        let mount = FileManager.default.temporaryDirectory.appendingPathComponent("petrel-secret-\(UUID().uuidString)")
        func writeVersion(_ version: String, key: String) throws {
            let directory = mount.appendingPathComponent("..\(version)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try "\(key)\n".write(to: directory.appendingPathComponent("keys"), atomically: true, encoding: .utf8)
            let staging = mount.appendingPathComponent("..data_tmp").path
            try FileManager.default.createSymbolicLink(atPath: staging, withDestinationPath: "..\(version)")
            guard rename(staging, mount.appendingPathComponent("..data").path) == 0 else { throw TestFailure("rename failed: \(errno)") }
        }
        try writeVersion("v1", key: "first-key-0123456789")
        try FileManager.default.createSymbolicLink(atPath: mount.appendingPathComponent("keys").path, withDestinationPath: "..data/keys")

        let petrel = try PetrelProcess(["CITY_STORE": "memory", "API_KEYS_FILE": mount.appendingPathComponent("keys").path])
        let port = try await petrel.port()
        #expect(try await Self.put(port, "Oslo", 1, key: "first-key-0123456789") == 201)
        #expect(try await Self.put(port, "Oslo", 2, key: "second-key-0123456789") == 401)

        try writeVersion("v2", key: "second-key-0123456789")
        let switched = try await Self.eventually(within: .seconds(5)) {
            try await Self.put(port, "Oslo", 3, key: "second-key-0123456789") == 200
        }
        #expect(switched != nil, "the new key works within 5 s of the Secret changing")
        #expect(try await Self.put(port, "Oslo", 4, key: "first-key-0123456789") == 401, "the old key is gone")
        #expect(petrel.lines.contains { $0.contains("api keys: reloaded") })
        #expect(!petrel.lines.contains { $0.contains("first-key") || $0.contains("second-key") }, "keys are never logged")
        petrel.signal(SIGKILL)
    }

    /// A reload that finds something other than keys keeps the keys in use, says so once and
    /// counts it; a `chmod` alone is noticed (the file's ctime is part of its identity).
    @Test func anInvalidKeysFileOnReloadKeepsThePreviousKeys() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("petrel-keys-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "good-key-0123456789\n".write(toFile: path, atomically: true, encoding: .utf8)
        let petrel = try PetrelProcess(["CITY_STORE": "memory", "API_KEYS_FILE": path])
        let port = try await petrel.port()
        let adminPort = try await petrel.adminPort()
        func metric(_ name: String) async throws -> Double? {
            let text = try await LiveProcessTests.get(adminPort, "/metrics").body
            return text.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ")[1]) }
        }
        #expect(try await metric("petrel_api_keys_reload_failures_total") == 0)
        let firstLoad = try #require(try await metric("petrel_api_keys_last_load_timestamp_seconds"))
        #expect(firstLoad > 1_700_000_000)

        try "apiVersion: v1\nkind: Secret\n".write(toFile: path, atomically: true, encoding: .utf8)
        let failure = try await petrel.waitForLog("api keys: reload failed, keeping the previous keys", timeout: .seconds(5))
        #expect(failure["file"] as? String == path, "the line names the file")
        #expect((failure["error"] as? String)?.contains("line 1 is not a key") == true, "and its line that is not a key: \(failure)")
        #expect(try await Self.put(port, "Oslo", 1, key: "good-key-0123456789") == 201, "the previous key still works")
        #expect(try await metric("petrel_api_keys_reload_failures_total") == 1)
        #expect(try await metric("petrel_api_keys_last_load_timestamp_seconds") == firstLoad)

        try "good-key-0123456789\nnew-key-0123456789\n".write(toFile: path, atomically: true, encoding: .utf8)
        let reloaded = try await Self.eventually(within: .seconds(5)) { try await Self.put(port, "Oslo", 2, key: "new-key-0123456789") == 200 }
        #expect(reloaded != nil, "a valid file is taken again")
        let reloads = petrel.lines.filter { $0.contains("api keys: reloaded") }.count

        // Only the mode changes: content, size, inode and mtime stay; the ctime moves.
        #expect(chmod(path, 0o640) == 0)
        let noticed = try await Self.eventually(within: .seconds(5)) { petrel.lines.filter { $0.contains("api keys: reloaded") }.count > reloads }
        #expect(noticed != nil, "a chmod is noticed")

        // Emptied (a file being rewritten in place) keeps the keys; only comments revokes them all.
        try "".write(toFile: path, atomically: false, encoding: .utf8)
        try await Task.sleep(for: .milliseconds(1500))
        #expect(try await Self.put(port, "Oslo", 3, key: "new-key-0123456789") == 200, "an empty file keeps the keys")
        try "# every key revoked\n".write(toFile: path, atomically: true, encoding: .utf8)
        let revoked = try await Self.eventually(within: .seconds(5)) { try await Self.put(port, "Oslo", 4, key: "new-key-0123456789") == 401 }
        #expect(revoked != nil, "a file of comments revokes every key")
        #expect(!petrel.lines.contains { $0.contains("good-key") || $0.contains("new-key") || $0.contains("Secret") }, "no key or line logged")
        petrel.signal(SIGKILL)
    }

    /// A plain `helm install` mounts the keys Secret as optional: the service starts without the
    /// file, serves reads, refuses writes saying why, and takes the keys once the file appears.
    @Test func startsWithoutTheKeysFileAndTakesItWhenItAppears() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("petrel-nokeys-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("keys").path
        let petrel = try PetrelProcess(["CITY_STORE": "memory", "API_KEYS_FILE": path])
        let port = try await petrel.port()
        #expect(try await LiveProcessTests.get(port, "/cities").status == 200, "reads are served")
        let refused = try await LiveProcessTests.request(
            port, .PUT, "/cities/Oslo", headers: [("X-API-Key", "later-key-0123456789")], body: #"{"population": 1}"#)
        #expect(refused.status == 401 && refused.body.contains("no API key is loaded yet"), "\(refused.body)")
        #expect(petrel.lines.contains { $0.contains("API_KEYS_FILE does not exist yet") })

        try "later-key-0123456789\n".write(toFile: path, atomically: true, encoding: .utf8)
        let accepted = try await Self.eventually(within: .seconds(5)) {
            try await Self.put(port, "Oslo", 1, key: "later-key-0123456789") == 201
        }
        #expect(accepted != nil, "the key works within 5 s of the file appearing")
        petrel.signal(SIGKILL)
    }

    @Test(.enabled(if: ServerBinary.elasticsearch.isAvailable, Comment(rawValue: ServerBinary.elasticsearch.missingMessage)))
    func startsUnreadyUntilElasticsearchAnswersThenServes() async throws {
        let esPort = try freePort()
        let keys = try KeyFile()
        let petrel = try Self.petrel(
            onElasticsearch: "http://127.0.0.1:\(esPort)", keys: keys,
            ["ELASTICSEARCH_TIMEOUT_MS": "300", "DEPENDENCY_CHECK_INTERVAL_SECONDS": "0.2"])
        let port = try await petrel.port()
        try await Task.sleep(for: .milliseconds(600))
        let unready = try await LiveProcessTests.get(port, "/readiness")
        #expect(unready.status == 503 && unready.body.contains("elasticsearch"), "\(unready.body)")
        #expect(try await LiveProcessTests.get(port, "/hello").status == 200, "the rest of the API serves meanwhile")

        let elasticsearch = try ElasticsearchServer(port: esPort)
        #expect(try await Self.becomesReady(port), "ready once Elasticsearch answers, without a restart")
        #expect(try await Self.put(port, "Lisbon", 545_923, key: KeyFile.plainKey) == 201)
        let city = try await LiveProcessTests.get(port, "/cities/lisbon")
        #expect(city.status == 200 && city.body.contains(#""population":545923"#))
        #expect(petrel.lines.contains { $0.contains("elasticsearch: index ready") })
        petrel.signal(SIGKILL)
        elasticsearch.stop()
    }

    @Test(.enabled(if: ServerBinary.elasticsearch.isAvailable, Comment(rawValue: ServerBinary.elasticsearch.missingMessage)))
    func anOutageGives503sWithinTheTimeoutThenRecovers() async throws {
        let elasticsearch = try ElasticsearchServer()
        let keys = try KeyFile()
        let petrel = try Self.petrel(
            onElasticsearch: elasticsearch.url, keys: keys, ["ELASTICSEARCH_TIMEOUT_MS": "300", "DEPENDENCY_CHECK_INTERVAL_SECONDS": "0.2"])
        let port = try await petrel.port()
        #expect(try await Self.becomesReady(port))
        #expect(try await Self.put(port, "Oslo", 1, key: KeyFile.plainKey) == 201)

        elasticsearch.stop()
        let start = ContinuousClock.now
        let down = try await LiveProcessTests.get(port, "/cities/oslo")
        #expect(down.status == 503 && down.body.contains(#""code":"dependency_unavailable""#), "\(down.body)")
        #expect(!down.body.contains("127.0.0.1"), "the client is not told internal addresses: \(down.body)")
        #expect(ContinuousClock.now - start < .milliseconds(1500), "answered within the 300 ms budget plus scheduling")
        #expect(try await Self.put(port, "Oslo", 2, key: KeyFile.plainKey) == 503, "a write fails cleanly too")
        #expect(try await LiveProcessTests.get(port, "/hits").status == 200, "other routes are unaffected")
        let unready = try await Self.eventually(within: .seconds(3)) { try await LiveProcessTests.get(port, "/readiness").status == 503 }
        #expect(unready != nil)
        let probe = try await LiveProcessTests.get(port, "/readiness").body
        #expect(probe.contains(#""elasticsearch":"unreachable""#) || probe.contains(#""elasticsearch":"timeout""#), "\(probe)")
        #expect(!probe.contains("127.0.0.1"))

        // osmem-server keeps nothing across a restart: the service must also re-create the index.
        try elasticsearch.start()
        let recovered = try await Self.eventually(within: .seconds(10)) {
            guard try await LiveProcessTests.get(port, "/readiness").status == 200 else { return false }
            return try await Self.put(port, "Oslo", 3, key: KeyFile.plainKey) == 201
        }
        #expect(recovered != nil, "recovered by itself after Elasticsearch returned")
        let lost = try await petrel.waitForLog(
            "elasticsearch: the index is gone (deleted, or the cluster came back empty); creating it again, empty — restore the cities from a snapshot")
        #expect(lost["level"] as? String == "error", "the data loss is said as an error")
        let metrics = try await LiveProcessTests.get(try await petrel.adminPort(), "/metrics").body
        #expect(metrics.contains(#"petrel_dependency_request_duration_seconds_count{dependency="elasticsearch",operation="get",outcome="error"}"#))
        petrel.signal(SIGKILL)
    }

    /// Every answer 1.2 s late, inside ELASTICSEARCH_TIMEOUT_MS: the pod must stay ready, so the
    /// readiness check may spend only one round trip of its 2 s budget (two would be 2.4 s).
    @Test(.enabled(if: ServerBinary.elasticsearch.isAvailable, Comment(rawValue: ServerBinary.elasticsearch.missingMessage)))
    func aSlowButWorkingElasticsearchKeepsThePodReady() async throws {
        let elasticsearch = try ElasticsearchServer()
        let proxy = try await DelayingProxy(upstreamPort: elasticsearch.port, delay: .milliseconds(1200))
        let keys = try KeyFile()
        let petrel = try Self.petrel(
            onElasticsearch: "http://127.0.0.1:\(proxy.port)", keys: keys,
            ["ELASTICSEARCH_TIMEOUT_MS": "2000", "DEPENDENCY_CHECK_INTERVAL_SECONDS": "2"])
        let port = try await petrel.port()
        #expect(try await Self.becomesReady(port, within: .seconds(15)), "ready despite the slow cluster")
        var answers: [UInt] = []
        for _ in 0..<12 {
            try await Task.sleep(for: .milliseconds(500))
            answers.append(try await LiveProcessTests.get(port, "/readiness").status)
        }
        #expect(answers.allSatisfy { $0 == 200 }, "stays ready across three checks: \(answers)")
        #expect(try await Self.put(port, "Oslo", 1, key: KeyFile.plainKey) == 201)
        #expect(try await LiveProcessTests.get(port, "/cities/oslo").status == 200)
        petrel.signal(SIGKILL)
        try await proxy.stop()
    }

    /// Deleted behind Petrel's back: reads answer 503 (an outage, not a 500), and no write may
    /// make Elasticsearch create the index with a dynamic mapping before the check sets it up again.
    @Test(.enabled(if: ServerBinary.elasticsearch.isAvailable, Comment(rawValue: ServerBinary.elasticsearch.missingMessage)))
    func aDeletedIndexAnswers503AndNoWriteRecreatesItWithTheWrongMapping() async throws {
        let elasticsearch = try ElasticsearchServer()
        let keys = try KeyFile()
        // A long interval, so that the index stays missing until the test is done with it; a long
        // timeout, so that the first check passes even when creating the index is slow.
        let petrel = try Self.petrel(
            onElasticsearch: elasticsearch.url, keys: keys, ["DEPENDENCY_CHECK_INTERVAL_SECONDS": "60", "ELASTICSEARCH_TIMEOUT_MS": "5000"])
        let port = try await petrel.port()
        // Ready means the first check is over too: none runs again before the test ends.
        try #require(try await Self.becomesReady(port))
        #expect(try await Self.put(port, "Oslo", 1, key: KeyFile.plainKey) == 201)

        func elasticsearchStatus(_ method: HTTPMethod, _ path: String) async throws -> UInt {
            var request = HTTPClientRequest(url: elasticsearch.url + path)
            request.method = method
            return try await HTTPClient.shared.execute(request, timeout: .seconds(5)).status.code
        }
        // The documents live in cities-v1, behind the alias cities; deleting the index takes the alias.
        #expect(try await elasticsearchStatus(.DELETE, "/cities-v1") == 200)

        // First a write, while the service still believes the index is there: require_alias makes
        // it fail instead of creating `cities` with a dynamic mapping.
        #expect(try await Self.put(port, "Bergen", 2, key: KeyFile.plainKey) == 503, "the write does not create the index")
        let read = try await LiveProcessTests.get(port, "/cities/oslo")
        #expect(read.status == 503 && read.body.contains(#""code":"dependency_unavailable""#), "\(read.body)")
        let list = try await LiveProcessTests.get(port, "/cities")
        #expect(list.status == 503, "\(list.body)")
        #expect(try await Self.put(port, "Bergen", 2, key: KeyFile.plainKey) == 503, "the write waits for the index")
        #expect(try await elasticsearchStatus(.GET, "/cities/_mapping") == 404, "no write created the index")
        #expect(try await elasticsearchStatus(.GET, "/cities-v1/_mapping") == 404)
        petrel.signal(SIGKILL)
    }

    /// The layout before the alias: documents in a concrete index named `cities`. Petrel does not
    /// guess; it stops and says how to move them.
    @Test(.enabled(if: ServerBinary.elasticsearch.isAvailable, Comment(rawValue: ServerBinary.elasticsearch.missingMessage)))
    func aConcreteIndexWhereTheAliasBelongsStopsTheStart() async throws {
        let elasticsearch = try ElasticsearchServer()
        var create = HTTPClientRequest(url: elasticsearch.url + "/cities")
        create.method = .PUT
        create.headers.add(name: "Content-Type", value: "application/json")
        create.body = .bytes(ByteBuffer(string: #"{"mappings": {"dynamic": "strict", "properties": {"name": {"type": "keyword"}, "name_key": {"type": "keyword"}, "population": {"type": "long"}, "updated_at": {"type": "date"}}}}"#))
        #expect(try await HTTPClient.shared.execute(create, timeout: .seconds(5)).status == .ok)

        let petrel = try PetrelProcess(["CITY_STORE": "elasticsearch", "ELASTICSEARCH_URL": elasticsearch.url, "ELASTICSEARCH_REPLICAS": "0"])
        let (status, _) = try await petrel.waitForExit(timeout: .seconds(20))
        #expect(status == 1)
        let reason = petrel.lines.first { $0.contains("is a concrete index") } ?? ""
        #expect(reason.contains(#"alias of that name to \"cities-v1\""#) && reason.contains("docs/deploy.md"), "\(petrel.lines.suffix(5))")
    }

    @Test(.enabled(if: ServerBinary.elasticsearch.isAvailable, Comment(rawValue: ServerBinary.elasticsearch.missingMessage)))
    func aConflictingMappingStopsTheStartWithAClearMessage() async throws {
        let elasticsearch = try ElasticsearchServer()
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        var create = HTTPClientRequest(url: elasticsearch.url + "/cities-v1")
        create.method = .PUT
        create.headers.add(name: "Content-Type", value: "application/json")
        create.body = .bytes(ByteBuffer(string: #"{"aliases": {"cities": {}}, "mappings": {"properties": {"name": {"type": "text"}, "population": {"type": "keyword"}}}}"#))
        #expect(try await client.execute(create, timeout: .seconds(5)).status == .ok)
        try await client.shutdown()

        let petrel = try PetrelProcess(["CITY_STORE": "elasticsearch", "ELASTICSEARCH_URL": elasticsearch.url])
        let (status, _) = try await petrel.waitForExit(timeout: .seconds(20))
        #expect(status == 1)
        let reason = petrel.lines.first { $0.contains("conflicting mapping") } ?? ""
        #expect(reason.contains("population is keyword, Petrel needs long"), "\(petrel.lines.suffix(5))")
        #expect(reason.contains("ELASTICSEARCH_INDEX"), "the message says what to do")
    }
}

@Suite("City cache in Redis", .serialized)
struct CityCacheTests {
    @Test(.enabled(if: ServerBinary.redis.isAvailable, Comment(rawValue: ServerBinary.redis.missingMessage)))
    func readsAreCachedWritesInvalidateAndAnOutageFallsBackToTheStore() async throws {
        let redis = try RedisServer()
        let keys = try KeyFile()
        let petrel = try PetrelProcess([
            "CITY_STORE": "sqlite", "CITY_CACHE_TTL_SECONDS": "60", "REDIS_URL": redis.url, "API_KEYS_FILE": keys.path,
            "DEPENDENCY_CHECK_INTERVAL_SECONDS": "0.2",
        ])
        let port = try await petrel.port()
        let cached = { () async throws -> String in
            let redisCLI = Process()
            redisCLI.executableURL = URL(fileURLWithPath: "/usr/bin/redis-cli")
            redisCLI.arguments = ["-p", String(redis.port), "--raw", "GET", "petrel:city:lisbon"]
            let pipe = Pipe()
            redisCLI.standardOutput = pipe
            try redisCLI.run()
            redisCLI.waitUntilExit()
            return String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        }
        #expect(try await CityLiveTests.put(port, "Lisbon", 1, key: KeyFile.plainKey) == 201)
        #expect(try await cached().trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "a write fills nothing")
        #expect(try await LiveProcessTests.get(port, "/cities/Lisbon").body.contains(#""population":1"#))
        #expect(try await cached().contains(#""population":1"#), "a read fills the cache")

        #expect(try await CityLiveTests.put(port, "lisbon", 2, key: KeyFile.plainKey) == 200)
        #expect(try await cached().trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "a write invalidates")
        #expect(try await LiveProcessTests.get(port, "/cities/Lisbon").body.contains(#""population":2"#))

        redis.stop()
        let read = try await LiveProcessTests.get(port, "/cities/Lisbon")
        #expect(read.status == 200 && read.body.contains(#""population":2"#), "the cache is optional: reads go to the store")
        let warning = try await petrel.waitForLog("city cache: read failed, using the store", timeout: .seconds(5))
        #expect(warning["level"] as? String == "warning")
        try await Task.sleep(for: .milliseconds(600))
        #expect(try await LiveProcessTests.get(port, "/readiness").status == 200, "a cache outage keeps the pod in rotation")
        let metrics = try await LiveProcessTests.get(try await petrel.adminPort(), "/metrics").body
        for series in [
            #"operation="cache_get",outcome="success""#, #"operation="cache_fill",outcome="success""#,
            #"operation="cache_invalidate",outcome="success""#, #"operation="cache_get",outcome="error""#,
        ] {
            #expect(metrics.contains(#"petrel_dependency_request_duration_seconds_count{dependency="redis","# + series + "}"), "\(series)")
        }
        petrel.signal(SIGKILL)
    }
}
