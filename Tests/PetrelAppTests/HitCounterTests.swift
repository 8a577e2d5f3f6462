import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PetrelApp
import TestSupport
import Testing

@Suite("Hit counter")
struct HitCounterRouterTests {
    @Test func countsAndAnswersTextOrJSON() async throws {
        let test = try await TestApp()
        try await test.app.test(.router) { client in
            try await client.execute(uri: "/hits", method: .get) { response throws in
                #expect(String(buffer: response.body) == "Holla! we have hit 1 times\n")
                #expect(response.headers[.contentType] == "text/plain; charset=utf-8")
            }
            try await client.execute(uri: "/hits", method: .get, headers: [.accept: "application/json"]) { response throws in
                #expect(String(buffer: response.body) == #"{"hits":2}"# + "\n")
            }
            try await client.execute(uri: "/hits", method: .head) { response throws in
                #expect(response.status == .ok)
                #expect(response.body.readableBytes == 0)
            }
            try await client.execute(uri: "/hits/current", method: .get, headers: [.accept: "application/json"]) { response throws in
                #expect(String(buffer: response.body) == #"{"hits":2}"# + "\n", "HEAD /hits must not count")
            }
        }
        try await test.app.admin.test(.router) { client in
            try await client.execute(uri: "/metrics", method: .get) { response throws in
                #expect(String(buffer: response.body).contains("\npetrel_hits_total 2"))
            }
        }
    }

    @Test func badRedisURLIsAConfigurationError() {
        #expect(throws: ConfigurationError.self) { _ = try PetrelConfiguration(environment: ["REDIS_URL": "http://x"]) }
        #expect(throws: ConfigurationError.self) { _ = try PetrelConfiguration(environment: ["COUNTER_STORE": "postgres"]) }
    }
}

/// The counter across real processes, on real SQLite files and a real redis-server.
@Suite("Hit counter across processes", .serialized)
struct HitCounterProcessTests {
    static func values(_ outcomes: [LoadClient.Outcome]) -> [Int64] {
        outcomes.filter { $0.status == 200 }.compactMap { outcome in
            outcome.body.split(separator: " ").dropFirst(4).first.flatMap { Int64($0) }
        }
    }

    @Test func sqliteCountSurvivesARestart() async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("petrel-\(UUID().uuidString)").path
        let first = try PetrelProcess(["DATA_DIR": data, "SHUTDOWN_DRAIN_SECONDS": "0"])
        let port = try await first.port()
        for _ in 0..<5 { _ = try await LiveProcessTests.get(port, "/hits") }
        first.signal(SIGTERM)
        #expect(try await first.waitForExit().status == 0)

        let second = try PetrelProcess(["DATA_DIR": data, "SHUTDOWN_DRAIN_SECONDS": "0"])
        let secondPort = try await second.port()
        #expect(try await LiveProcessTests.get(secondPort, "/hits/current").body == "Holla! we have hit 5 times\n")
        #expect(try await LiveProcessTests.get(secondPort, "/hits").body == "Holla! we have hit 6 times\n")
        second.signal(SIGKILL)
    }

    /// Pods sharing a volume, or a rollout's new pod next to the old one, may create the file at
    /// the same moment: each must find the schema migrated, never half-made by the other.
    @Test func processesStartingTogetherOnANewFileAllMigrateIt() async throws {
        for _ in 0..<5 {
            let data = FileManager.default.temporaryDirectory.appendingPathComponent("petrel-\(UUID().uuidString)").path
            let processes = try (0..<4).map { _ in try PetrelProcess(["DATA_DIR": data, "SHUTDOWN_DRAIN_SECONDS": "0"]) }
            for process in processes {
                let port = try await process.port()
                #expect(try await LiveProcessTests.get(port, "/hits").status == 200)
                process.signal(SIGKILL)
            }
        }
    }

    @Test func twoProcessesOnOneSQLiteFileStayExact() async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("petrel-\(UUID().uuidString)").path
        let processes = try (0..<2).map { _ in try PetrelProcess(["DATA_DIR": data]) }
        var ports: [Int] = []
        for process in processes { ports.append(try await process.port()) }
        let portList = ports
        let outcomes = try await LoadClient.run(clients: 32, requestsPerClient: 40) { "http://127.0.0.1:\(portList[$0 % 2])/hits" }
        let values = Self.values(outcomes)
        #expect(values.count == outcomes.count, "every hit succeeded: \(outcomes.filter { $0.status != 200 }.prefix(3).map(\.body))")
        #expect(Set(values) == Set(1...Int64(values.count)), "distinct and gapless")
        #expect(try await LiveProcessTests.get(ports[0], "/hits/current").body == "Holla! we have hit \(values.count) times\n")
        for process in processes { process.signal(SIGKILL) }
    }

    @Test(.enabled(if: ServerBinary.redis.isAvailable, Comment(rawValue: ServerBinary.redis.missingMessage)))
    func twoProcessesOnOneRedisStayExact() async throws {
        let redis = try RedisServer()
        let processes = try (0..<2).map { _ in try PetrelProcess(["COUNTER_STORE": "redis", "REDIS_URL": redis.url, "REDIS_TIMEOUT_MS": "2000"]) }
        var ports: [Int] = []
        for process in processes { ports.append(try await process.port()) }
        let portList = ports
        let outcomes = try await LoadClient.run(clients: 64, requestsPerClient: 40) { "http://127.0.0.1:\(portList[$0 % 2])/hits" }
        let values = Self.values(outcomes)
        #expect(values.count == 2560, "every hit succeeded: \(outcomes.filter { $0.status != 200 }.prefix(3).map(\.body))")
        #expect(Set(values) == Set(1...Int64(values.count)), "distinct and gapless")
        #expect(try await LiveProcessTests.get(ports[1], "/hits/current").body == "Holla! we have hit \(values.count) times\n")
        // Answers to 64 concurrent INCRs arrive in any order and the other process makes the count
        // jump: none of that is a reset.
        for process in processes {
            let metrics = try await LiveProcessTests.get(try await process.adminPort(), "/metrics").body
            #expect(metrics.contains("\npetrel_hits_resets_total 0"))
            #expect(!process.lines.contains { $0.contains("Redis lost the count") })
        }
        for process in processes { process.signal(SIGKILL) }
    }

    /// Redis restarted without its data: the count starts again at 1. The service cannot undo
    /// that, but it says so, once, and counts it for the alert.
    @Test(.enabled(if: ServerBinary.redis.isAvailable, Comment(rawValue: ServerBinary.redis.missingMessage)))
    func aRedisThatLostTheCountIsReported() async throws {
        let redis = try RedisServer()
        let petrel = try PetrelProcess(["COUNTER_STORE": "redis", "REDIS_URL": redis.url, "REDIS_TIMEOUT_MS": "2000"])
        let port = try await petrel.port()
        for _ in 0..<5 { #expect(try await LiveProcessTests.get(port, "/hits").status == 200) }
        redis.stop()
        try redis.start()
        var answer: (status: UInt, body: String) = (0, "")
        for _ in 0..<100 {
            answer = try await LiveProcessTests.get(port, "/hits")
            if answer.status == 200 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(answer.body == "Holla! we have hit 1 times\n", "Redis holds the count; the service does not invent one")
        let line = try await petrel.waitForLog("hit counter: Redis lost the count (the key is gone or lower than before); counting goes on from there, so numbers repeat — check Redis persistence")
        #expect(line["level"] as? String == "error" && line["seen"] as? String == "5" && line["now"] as? String == "1", "\(line)")
        for _ in 0..<5 { #expect(try await LiveProcessTests.get(port, "/hits").status == 200) }
        #expect(try await LiveProcessTests.get(port, "/hits/current").body == "Holla! we have hit 6 times\n")
        let metrics = try await LiveProcessTests.get(try await petrel.adminPort(), "/metrics").body
        #expect(metrics.contains("\npetrel_hits_resets_total 1"), "reported once")
        #expect(petrel.lines.filter { $0.contains("Redis lost the count") }.count == 1)
        petrel.signal(SIGKILL)
    }

    @Test(.enabled(if: ServerBinary.redis.isAvailable, Comment(rawValue: ServerBinary.redis.missingMessage)))
    func redisOutageGives503sWithinTheTimeoutThenRecovers() async throws {
        let redis = try RedisServer()
        let petrel = try PetrelProcess([
            "COUNTER_STORE": "redis", "REDIS_URL": redis.url, "REDIS_TIMEOUT_MS": "250", "DEPENDENCY_CHECK_INTERVAL_SECONDS": "0.2",
        ])
        let port = try await petrel.port()
        #expect(try await LiveProcessTests.get(port, "/hits").status == 200)
        #expect(try await LiveProcessTests.get(port, "/readiness").status == 200)

        let load = Task { try await LoadClient.run(clients: 16, requestsPerClient: 60) { _ in "http://127.0.0.1:\(port)/hits" } }
        try await Task.sleep(for: .milliseconds(200))
        redis.stop()
        let outcomes = try await load.value
        #expect(outcomes.allSatisfy { $0.status == 200 || $0.status == 503 }, "only 200s and 503s: \(Set(outcomes.map { $0.status.map(String.init) ?? $0.body }))")
        let unavailable = outcomes.filter { $0.status == 503 }
        #expect(!unavailable.isEmpty)
        #expect(unavailable.allSatisfy { $0.body.contains(#""code":"dependency_unavailable""#) })
        let slowest = unavailable.map(\.duration).max() ?? .zero
        #expect(slowest < .milliseconds(750), "a 503 comes within the timeout (250 ms) plus scheduling: \(slowest)")

        try await Task.sleep(for: .milliseconds(500))
        let unready = try await LiveProcessTests.get(port, "/readiness")
        #expect(unready.status == 503 && unready.body.contains("redis"), "\(unready.body)")
        #expect(try await LiveProcessTests.get(port, "/healthz").status == 200, "liveness ignores backends")

        try redis.start()
        let restarted = ContinuousClock.now
        var recovered = false
        while ContinuousClock.now - restarted < .seconds(5) {
            if try await LiveProcessTests.get(port, "/hits").status == 200, try await LiveProcessTests.get(port, "/readiness").status == 200 {
                recovered = true
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(recovered, "recovered by itself within 5 s of Redis returning")
        petrel.signal(SIGKILL)
    }
}
