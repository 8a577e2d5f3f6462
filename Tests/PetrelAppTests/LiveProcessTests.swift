import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Testing

/// The real executable, real signals, real sockets.
@Suite("The petrel process", .serialized)
struct LiveProcessTests {
    /// A fresh connection per request, as a load balancer's new traffic would arrive.
    static func get(_ port: Int, _ path: String, timeout: Duration = .seconds(20)) async throws -> (status: UInt, body: String) {
        let response = try await request(port, .GET, path, timeout: timeout)
        return (response.status, response.body)
    }

    /// One request on a fresh connection, so that a test sees exactly what a new client would.
    static func request(
        _ port: Int, _ method: HTTPMethod, _ path: String, headers: [(String, String)] = [], body: String? = nil,
        timeout: Duration = .seconds(20)
    ) async throws -> (status: UInt, body: String, headers: HTTPHeaders) {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.idleTimeout = .milliseconds(1)
        configuration.timeout.connect = .seconds(2)
        let client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
        do {
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
            request.method = method
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            if let body { request.body = .bytes(ByteBuffer(string: body)) }
            let response = try await client.execute(request, timeout: .init(timeout))
            let responseBody = try await response.body.collect(upTo: 1 << 20)
            try await client.shutdown()
            return (response.status.code, String(buffer: responseBody), response.headers)
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    @Test func sigtermDrainsThenFinishesInFlightRequestsAndExitsZero() async throws {
        let petrel = try PetrelProcess(["SHUTDOWN_DRAIN_SECONDS": "1.5", "SHUTDOWN_TIMEOUT_SECONDS": "5"])
        let port = try await petrel.port()
        let adminPort = try await petrel.adminPort()
        #expect(try await Self.get(port, "/readiness").status == 200)

        // Slow requests in flight across the whole drain and past it (`/delay` is on the admin
        // listener, which shuts down the same way, after the public one).
        let slow = (0..<8).map { _ in Task { try await Self.get(adminPort, "/delay/2.5") } }
        try await Task.sleep(for: .milliseconds(300))
        let signalledAt = ContinuousClock.now
        petrel.signal(SIGTERM)
        try await Task.sleep(for: .milliseconds(200))

        let during = try await Self.get(port, "/readiness")
        #expect(during.status == 503, "readiness turns 503 at once")
        #expect(during.body.contains("draining"))
        #expect(try await Self.get(port, "/hello").status == 200, "still serving during the drain")

        try await Task.sleep(until: signalledAt + .milliseconds(1800), clock: .continuous)
        await #expect(throws: (any Error).self, "new connections are refused after the drain") {
            _ = try await Self.get(port, "/hello", timeout: .seconds(2))
        }

        for request in slow {
            let answer = try await request.value
            #expect(answer.status == 200, "an in-flight request completes")
        }
        let exit = try await petrel.waitForExit()
        #expect(exit.status == 0)
        #expect(ContinuousClock.now - signalledAt < .milliseconds(1500 + 5000), "exits within drain + timeout")
        let phases = try petrel.jsonLines().compactMap { $0["msg"] as? String }.filter { $0.hasPrefix("shutdown:") }
        #expect(phases == [
            "shutdown: signal received, readiness is 503, draining",
            "shutdown: drain over, no longer accepting connections; finishing in-flight requests",
            "shutdown: complete",
        ])
    }

    @Test func workOutlivingTheShutdownTimeoutIsCancelledAndExitsOne() async throws {
        let petrel = try PetrelProcess(["SHUTDOWN_DRAIN_SECONDS": "0.2", "SHUTDOWN_TIMEOUT_SECONDS": "1"])
        let adminPort = try await petrel.adminPort()
        let slow = Task { try await Self.get(adminPort, "/delay/8") }
        try await Task.sleep(for: .milliseconds(200))
        let signalledAt = ContinuousClock.now
        petrel.signal(SIGTERM)
        let exit = try await petrel.waitForExit(timeout: .seconds(10))
        #expect(exit.status == 1, "a shutdown that had to cancel work is a failed one")
        #expect(ContinuousClock.now - signalledAt < .milliseconds(200 + 1000 + 1500), "ends at drain + timeout, not with the request")
        if case .success(let answer) = await slow.result {
            #expect(answer.status != 200, "the cut-off request did not finish: \(answer)")
        }
        let messages = try petrel.jsonLines().compactMap { $0["msg"] as? String }
        #expect(messages.contains("shutdown: SHUTDOWN_TIMEOUT_SECONDS passed with work still running, cancelling it"))
        #expect(!messages.contains("shutdown: complete"))
        let last = try petrel.jsonLines().last
        #expect((last?["error"] as? String)?.contains("SHUTDOWN_TIMEOUT_SECONDS") == true, "\(String(describing: last))")
    }

    @Test func sigintShutsDownGracefullyToo() async throws {
        let petrel = try PetrelProcess(["SHUTDOWN_DRAIN_SECONDS": "0"])
        _ = try await petrel.port()
        petrel.signal(SIGINT)
        #expect(try await petrel.waitForExit().status == 0)
    }

    @Test func secondSignalExitsAtOnce() async throws {
        let petrel = try PetrelProcess(["SHUTDOWN_DRAIN_SECONDS": "30"])
        _ = try await petrel.port()
        petrel.signal(SIGTERM)
        _ = try await petrel.waitForLog("shutdown: signal received, readiness is 503, draining")
        petrel.signal(SIGTERM)
        let exit = try await petrel.waitForExit(timeout: .seconds(5))
        #expect(exit.status == 143)
        #expect(exit.waited < .seconds(2))
        _ = try await petrel.waitForLog("shutdown: second signal, exiting at once", timeout: .seconds(1))
    }

    @Test(arguments: [
        (["HTTP_PORT": "eighty"], "invalid HTTP_PORT=\"eighty\""),
        (["APP_ENV": "prod"], "invalid APP_ENV=\"prod\": expected one of development, staging, production"),
        (["SHUTDOWN_TIMEOUT_SECONDS": "-1"], "invalid SHUTDOWN_TIMEOUT_SECONDS=\"-1\""),
    ])
    func badConfigurationExitsTwoNamingTheVariable(_ environment: [String: String], _ message: String) async throws {
        let petrel = try PetrelProcess(environment)
        #expect(try await petrel.waitForExit().status == 2)
        try await Task.sleep(for: .milliseconds(50))
        #expect(petrel.errorOutput.contains(message), "\(petrel.errorOutput)")
        #expect(petrel.lines.isEmpty, "nothing started")
    }

    @Test func unreadableDotEnvExitsTwoNamingIt() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("petrel-dotenv-\(UUID().uuidString)")
        // A directory where the file should be: reading it fails whoever the test runs as.
        try FileManager.default.createDirectory(at: directory.appendingPathComponent(".env"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let petrel = try PetrelProcess(workingDirectory: directory)
        #expect(try await petrel.waitForExit().status == 2)
        try await Task.sleep(for: .milliseconds(50))
        #expect(petrel.errorOutput.contains("petrel: cannot read ./.env: "), "\(petrel.errorOutput)")
        #expect(petrel.lines.isEmpty, "nothing started")
    }

    @Test func unknownFlagExitsTwo() async throws {
        let petrel = try PetrelProcess(arguments: ["--http-prot", "1"])
        #expect(try await petrel.waitForExit().status == 2)
        try await Task.sleep(for: .milliseconds(50))
        #expect(petrel.errorOutput.contains("unknown option --http-prot"))
    }

    @Test func flagsOverrideTheEnvironment() async throws {
        let petrel = try PetrelProcess(["APP_ENV": "staging"], arguments: ["--app-env", "development"])
        let port = try await petrel.port()
        #expect(try await Self.get(port, "/").body.contains(#""environment":"development""#))
        petrel.signal(SIGKILL)
    }

    @Test func helpListsEverySetting() async throws {
        let petrel = try PetrelProcess(arguments: ["--help"])
        #expect(try await petrel.waitForExit().status == 0)
        try await Task.sleep(for: .milliseconds(50))
        let help = petrel.lines.joined(separator: "\n")
        for name in ["HTTP_PORT", "SHUTDOWN_DRAIN_SECONDS", "MAX_BODY_BYTES", "FAULT_ERROR_RATE", "POD_NAMESPACE"] {
            #expect(help.contains(name))
        }
    }

    @Test func everyStdoutLineIsJSONAndRequestsAreLogged() async throws {
        let petrel = try PetrelProcess(["POD_NAME": "petrel-live"])
        let port = try await petrel.port()
        for path in ["/hello", "/nope", "/hello?name=%22%5C"] {
            _ = try await Self.get(port, path)
        }
        _ = try await Self.get(try await petrel.adminPort(), "/metrics")
        petrel.signal(SIGTERM)
        #expect(try await petrel.waitForExit().status == 0)
        let lines = try petrel.jsonLines()
        #expect(lines.allSatisfy { $0["ts"] is String && $0["level"] is String && $0["msg"] is String })
        let requests = lines.filter { $0["msg"] as? String == "request" }
        #expect(requests.count == 3, "three at info; /metrics logs at debug")
        for line in requests {
            for field in ["method", "path", "route", "status", "duration_ms", "request_id", "pod"] {
                #expect(line[field] != nil, "\(field) missing in \(line)")
            }
        }
    }

    @Test func metricsExposeTheContract() async throws {
        let petrel = try PetrelProcess()
        let port = try await petrel.port()
        _ = try await Self.get(port, "/hello")
        #expect(try await Self.get(port, "/metrics").status == 404, "not on the public listener")
        let metrics = try await Self.get(try await petrel.adminPort(), "/metrics").body
        #expect(metrics.contains(#"http_server_request_duration_seconds_count{method="GET",route="/hello",status="200"} 1"#))
        #expect(metrics.contains("petrel_ready 1"))
        #expect(metrics.contains(#"petrel_build_info{version=""#))
        let rss = metrics.split(separator: "\n").first { $0.hasPrefix("process_resident_memory_bytes ") }
        #expect((rss.flatMap { Double($0.split(separator: " ")[1]) } ?? 0) > 1_000_000)
        petrel.signal(SIGKILL)
    }
}
