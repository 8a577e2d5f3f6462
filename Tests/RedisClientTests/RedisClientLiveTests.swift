import NIOPosix
import RedisClient
import TestSupport
import Testing

/// Against a real redis-server on 127.0.0.1.
@Suite("Redis client against redis-server", .enabled(if: ServerBinary.redis.isAvailable, Comment(rawValue: ServerBinary.redis.missingMessage)))
struct RedisClientLiveTests {
    static func client(_ server: RedisServer, url: String? = nil, timeout: Duration = .milliseconds(500), poolSize: Int = 4) throws -> RedisClient {
        RedisClient(configuration: try RedisConfiguration(url: url ?? server.url, timeout: timeout, poolSize: poolSize))
    }

    @Test func commands() async throws {
        let server = try RedisServer()
        let redis = try Self.client(server)
        try await redis.ping()
        #expect(try await redis.incr("n") == 1)
        #expect(try await redis.incrBy("n", 41) == 42)
        #expect(try await redis.get("n") == "42")
        #expect(try await redis.get("missing") == nil)
        #expect(try await redis.set("k", "välue with spaces\r\n"))
        #expect(try await redis.get("k") == "välue with spaces\r\n")
        #expect(try await redis.set("k", "other", onlyIfAbsent: true) == false)
        #expect(try await redis.set("fresh", "1", onlyIfAbsent: true))
        #expect(try await redis.expire("k", after: .seconds(100)))
        #expect(try await redis.expire("missing", after: .seconds(1)) == false)
        #expect(try await redis.send(["TTL", "k"]).integer ?? 0 > 90)
        try await redis.set("short", "1", expiresIn: .milliseconds(50))
        try await Task.sleep(for: .milliseconds(120))
        #expect(try await redis.get("short") == nil)
        #expect(try await redis.del("k", "fresh", "missing") == 2)
        await #expect(throws: RedisError.server("WRONGTYPE Operation against a key holding the wrong kind of value")) {
            _ = try await redis.send(["LPUSH", "list", "a"])
            _ = try await redis.incr("list")
        }
        redis.pool.close()
    }

    @Test func pipelining() async throws {
        let server = try RedisServer()
        let redis = try Self.client(server)
        let replies = try await redis.pipeline((1...500).map { _ in ["INCR", "p"] } + [["GET", "p"], ["NOSUCH"]])
        #expect(replies.prefix(500).map(\.integer) == (1...500).map { Int64($0) })
        #expect(replies[500].string == "500")
        if case .error = replies[501] {} else { Issue.record("an error reply stays a value in a pipeline") }
        redis.pool.close()
    }

    @Test func concurrentIncrementsAreExactAndDistinct() async throws {
        let server = try RedisServer()
        let redis = try Self.client(server, timeout: .seconds(5), poolSize: 8)
        let values = try await withThrowingTaskGroup(of: Int64.self) { group in
            for _ in 0..<2000 { group.addTask { try await redis.incr("hits") } }
            return try await group.reduce(into: [Int64]()) { $0.append($1) }
        }
        #expect(Set(values) == Set(1...2000))
        #expect(redis.pool.statistics.open <= 8)
        redis.pool.close()
    }

    @Test func passwordAndACLUserAndDatabase() async throws {
        let server = try RedisServer(extraArguments: ["--requirepass", "s3cret"])
        let admin = try Self.client(server, url: "redis://:s3cret@127.0.0.1:\(server.port)/0")
        try await admin.send(["ACL", "SETUSER", "petrel", "on", ">userpass", "~*", "+@all"])
        try await admin.set("where", "db0")

        let user = try Self.client(server, url: "redis://petrel:userpass@127.0.0.1:\(server.port)/5")
        try await user.set("where", "db5")
        #expect(try await user.get("where") == "db5")
        #expect(try await admin.get("where") == "db0", "SELECT kept the databases apart")

        let wrong = try Self.client(server, url: "redis://:nope@127.0.0.1:\(server.port)/0")
        await #expect(throws: RedisError.self) { try await wrong.ping() }
        let none = try Self.client(server)
        do {
            try await none.ping()
            Issue.record("no password should be refused")
        } catch let error as RedisError {
            #expect("\(error)".contains("NOAUTH"))
        }
        for client in [admin, user, wrong, none] { client.pool.close() }
    }

    @Test func exhaustedPoolWaitsThenFailsClearly() async throws {
        let server = try RedisServer()
        let redis = try Self.client(server, timeout: .milliseconds(600), poolSize: 1)
        try await redis.ping()
        // One slow command holds the only connection (BLPOP blocks for 0.3 s).
        let slow = Task { try await redis.send(["BLPOP", "nothing", "0.3"]) }
        try await Task.sleep(for: .milliseconds(50))
        let start = ContinuousClock.now
        try await redis.ping()
        #expect(ContinuousClock.now - start > .milliseconds(150), "waited for the busy connection")
        _ = try await slow.value

        // Hold the only connection for longer than a caller's whole deadline.
        let blocker = Task { try await redis.pool.withConnection(deadline: .now + .seconds(5)) { _ in try await Task.sleep(for: .seconds(1)) } }
        try await Task.sleep(for: .milliseconds(50))
        let waitStart = ContinuousClock.now
        do {
            try await redis.ping()
            Issue.record("the pool had no free connection")
        } catch RedisError.poolExhausted(let size, let waited) {
            #expect(size == 1)
            #expect(waited >= .milliseconds(500))
        }
        #expect(ContinuousClock.now - waitStart < .milliseconds(800), "gave up at its deadline")
        _ = await blocker.result
        try await redis.ping()

        // A waiting caller that is cancelled stops waiting at once, without taking a connection.
        let (held, holding) = AsyncStream.makeStream(of: Void.self)
        let holder = Task {
            try await redis.pool.withConnection(deadline: .now + .seconds(5)) { _ in
                holding.yield()
                try await Task.sleep(for: .seconds(2))
            }
        }
        for await _ in held { break }
        let waiter = Task { try await redis.ping() }
        while redis.pool.statistics.waiting == 0 { try await Task.sleep(for: .milliseconds(5)) }
        let cancelledAt = ContinuousClock.now
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(ContinuousClock.now - cancelledAt < .milliseconds(200), "stopped waiting at once, not at the 600 ms deadline")
        #expect(redis.pool.statistics.waiting == 0)
        _ = await holder.result
        try await redis.ping()
        redis.pool.close()
    }

    @Test(.enabled(if: TestCertificate.isAvailable, "openssl not found — apt-get install openssl"))
    func rediss() async throws {
        let certificate = try TestCertificate()
        let tlsPort = try freePort()
        let server = try RedisServer(extraArguments: [
            "--tls-port", String(tlsPort), "--tls-cert-file", certificate.certificatePath, "--tls-key-file", certificate.keyPath,
            "--tls-ca-cert-file", certificate.certificatePath, "--tls-auth-clients", "no",
        ])
        var configuration = try RedisConfiguration(url: "rediss://127.0.0.1:\(tlsPort)/0", timeout: .seconds(2))
        configuration.caBundlePath = certificate.certificatePath
        let redis = RedisClient(configuration: configuration)
        #expect(try await redis.incr("over-tls") == 1)
        redis.pool.close()

        // Without the CA the server's certificate is not trusted: a clear connection error, no plaintext fallback.
        let untrusting = RedisClient(configuration: try RedisConfiguration(url: "rediss://127.0.0.1:\(tlsPort)/0", timeout: .milliseconds(500)))
        await #expect { try await untrusting.ping() } throws: { error in
            guard case RedisError.connectionFailed = error else { return false }
            return true
        }
        untrusting.pool.close()
        _ = server
    }

    @Test func concurrentCommandsShareOneConnection() async throws {
        let server = try RedisServer()
        let redis = try Self.client(server, timeout: .seconds(2), poolSize: 1)
        try await redis.ping()
        let values = try await withThrowingTaskGroup(of: Int64.self) { group in
            for _ in 0..<200 { group.addTask { try await redis.incr("shared") } }
            return try await group.reduce(into: [Int64]()) { $0.append($1) }
        }
        #expect(Set(values) == Set(1...200), "every reply reached its own caller")
        #expect(redis.pool.statistics.open == 1, "200 callers, one connection")
        redis.pool.close()
    }

    @Test func aBlockingCommandGetsItsOwnConnection() async throws {
        let server = try RedisServer()
        let redis = try Self.client(server, timeout: .seconds(2), poolSize: 2)
        try await redis.ping()
        let blocking = Task { try await redis.send(["BLPOP", "nothing", "0.5"]) }
        try await Task.sleep(for: .milliseconds(50))
        let start = ContinuousClock.now
        for _ in 0..<10 { try await redis.ping() }
        #expect(ContinuousClock.now - start < .milliseconds(300), "shared commands did not queue behind BLPOP")
        _ = try await blocking.value
        redis.pool.close()
    }

    @Test func slowCommandTimesOutAndItsConnectionIsReplaced() async throws {
        let server = try RedisServer()
        let redis = try Self.client(server, timeout: .milliseconds(200), poolSize: 1)
        let start = ContinuousClock.now
        await #expect(throws: RedisError.timeout("BLPOP")) { _ = try await redis.send(["BLPOP", "nothing", "2"]) }
        #expect(ContinuousClock.now - start < .milliseconds(350))
        try await redis.ping()
        redis.pool.close()
    }

    @Test func deadConnectionIsReplaced() async throws {
        let server = try RedisServer()
        let redis = try Self.client(server, poolSize: 2)
        try await redis.ping()
        let killer = try Self.client(server, poolSize: 1)
        try await killer.send(["CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"])
        try await Task.sleep(for: .milliseconds(50))
        try await redis.ping()
        #expect(try await redis.incr("after-kill") == 1)
        redis.pool.close()
        killer.pool.close()
    }

    @Test func serverDownFailsFastThenRecovers() async throws {
        let server = try RedisServer()
        // The timeout only bounds the first connect; failing fast afterwards must not depend on it.
        let redis = try Self.client(server, timeout: .seconds(2))
        try await redis.ping()
        server.stop()
        var latencies: [Duration] = []
        for _ in 0..<20 {
            let start = ContinuousClock.now
            await #expect(throws: RedisError.self) { try await redis.ping() }
            latencies.append(ContinuousClock.now - start)
        }
        #expect(latencies.allSatisfy { $0 < .milliseconds(300) }, "\(latencies)")
        try server.start()
        let recovered = ContinuousClock.now
        while true {
            do {
                try await redis.ping()
                break
            } catch {
                #expect(ContinuousClock.now - recovered < .seconds(5), "recovers within the backoff cap")
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        redis.pool.close()
    }

    @Test func runClosesThePoolOnShutdown() async throws {
        let server = try RedisServer()
        let redis = try Self.client(server)
        try await redis.ping()
        redis.pool.close()
        await #expect(throws: RedisError.closed) { try await redis.ping() }
    }
}
