import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTesting
import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import PetrelApp

/// The probes and the plain greeting are answered on the event loop (`EventLoopResponder`) as
/// well as by the router. These tests hold the two to the same answer, over real sockets.
@Suite("Instant routes, on the event loop and through the router")
struct InstantRouteTests {
    static let paths = HealthRoutes.livenessPaths + HealthRoutes.readinessPaths + ["/hello"]

    /// The first request is one the event loop takes; `Connection: close` hands the second to the
    /// router. Everything but the `Date` header must match byte for byte.
    static func bothWays(_ path: String, port: Int) async throws -> (instant: RawHTTP.Response, router: RawHTTP.Response) {
        let request = "GET \(path) HTTP/1.1\r\nHost: petrel\r\nX-Request-ID: same-id\r\n"
        let responses = try await RawHTTP.exchange(port: port, request + "\r\n" + request + "Connection: close\r\n\r\n")
        try #require(responses.count == 2, "expected two responses, got \(responses.count)")
        return (responses[0], responses[1])
    }

    static func expectSame(_ instant: RawHTTP.Response, _ router: RawHTTP.Response) {
        #expect(instant.statusLine == router.statusLine)
        #expect(instant.headers.map(\.name) == router.headers.map(\.name), "same headers in the same order")
        let notDate = { (header: (name: String, value: String)) in header.name.lowercased() != "date" }
        #expect(instant.headers.filter(notDate).map(\.value) == router.headers.filter(notDate).map(\.value))
        #expect(instant.body == router.body)
        for response in [instant, router] {
            let date = response.header("Date") ?? ""
            #expect(date.range(of: #"^[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT$"#, options: .regularExpression) != nil, "\(date)")
        }
    }

    @Test(arguments: paths)
    func answersExactlyAsTheRouterDoes(_ path: String) async throws {
        let test = try await TestApp(["POD_NAME": "petrel-0", "READY_MIN_UPTIME_SECONDS": "0"])
        try await test.app.test(.live) { client in
            let port = try #require(client.port)
            #expect(try await CityLiveTests.becomesReady(port, within: .seconds(10)))
            let (instant, router) = try await Self.bothWays(path, port: port)
            #expect(instant.statusLine == "HTTP/1.1 200 OK")
            Self.expectSame(instant, router)
            #expect(instant.header("X-Request-ID") == "same-id")
        }
    }

    @Test(arguments: HealthRoutes.readinessPaths)
    func notReadyIsAnsweredExactlyAsTheRouterDoes(_ path: String) async throws {
        let test = try await TestApp(["READY_MIN_UPTIME_SECONDS": "600"])
        try await test.app.test(.live) { client in
            let (instant, router) = try await Self.bothWays(path, port: try #require(client.port))
            #expect(instant.statusLine == "HTTP/1.1 503 Service Unavailable")
            #expect(instant.body.contains(#""request_id":"same-id""#))
            Self.expectSame(instant, router)
        }
    }

    /// A slow request with the router, then requests the event loop could answer: they must
    /// still come back in the order they were sent.
    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        let test = try await TestApp()
        try await test.app.test(.live) { client in
            let requests = ["/delay/0.3", "/hello", "/healthz", "/hello?name=Ann", "/livez"].map {
                "GET \($0) HTTP/1.1\r\nHost: petrel\r\n\r\n"
            }
            let responses = try await RawHTTP.exchange(
                port: try #require(client.port), requests.joined() + "GET /alive HTTP/1.1\r\nHost: petrel\r\nConnection: close\r\n\r\n")
            try #require(responses.count == 6)
            #expect(responses[0].body.contains("delayed_seconds"))
            #expect(responses[1].body.contains("Hello from petrel"))
            #expect(responses[2].body == #"{"status":"UP"}"#)
            #expect(responses[3].body.contains("Hello, Ann!"))
            #expect(responses[4].body == #"{"status":"UP"}"#)
            #expect(responses[5].body == #"{"status":"UP"}"#)
            #expect(Set(responses.compactMap { $0.header("X-Request-ID") }).count == 6, "every response has its own id")
        }
    }

    @Test func instantAnswersAreLoggedAndCounted() async throws {
        let test = try await TestApp(["POD_NAME": "petrel-7"])
        try await test.app.test(.live) { client in
            let port = try #require(client.port)
            _ = try await RawHTTP.exchange(
                port: port,
                "GET /hello HTTP/1.1\r\nHost: petrel\r\nX-Request-ID: req-7\r\n\r\n"
                    + "GET /healthz HTTP/1.1\r\nHost: petrel\r\n\r\n"
                    + "GET /metrics HTTP/1.1\r\nHost: petrel\r\nConnection: close\r\n\r\n")
            try await client.execute(uri: "/metrics", method: .get) { response in
                let text = String(buffer: response.body)
                #expect(text.contains(#"http_server_request_duration_seconds_count{method="GET",route="/hello",status="200"} 1"#))
                #expect(text.contains(#"http_server_request_duration_seconds_count{method="GET",route="/healthz",status="200"} 1"#))
                #expect(text.contains("\nhttp_server_active_requests 1.0\n"), "only the scrape itself is in flight")
            }
        }
        let lines = try test.logLines().filter { $0["msg"] as? String == "request" }
        let hello = try #require(lines.first { $0["request_id"] as? String == "req-7" })
        #expect(hello["level"] as? String == "info")
        #expect(hello["method"] as? String == "GET")
        #expect(hello["path"] as? String == "/hello")
        #expect(hello["route"] as? String == "/hello")
        #expect(hello["status"] as? Int == 200)
        #expect(hello["duration_ms"] is Double)
        #expect(hello["pod"] as? String == "petrel-7")
        let probe = try #require(lines.first { $0["path"] as? String == "/healthz" })
        #expect(probe["level"] as? String == "debug", "probes log at debug")
        #expect((probe["request_id"] as? String)?.count == 32)
    }

    /// Fault injection applies to `/hello`, so while it is on the event loop hands it to the router.
    @Test func faultInjectionStillReachesTheGreeting() async throws {
        let test = try await TestApp(["FAULT_ERROR_RATE": "1"])
        try await test.app.test(.live) { client in
            try await client.execute(uri: "/hello", method: .get) { response throws in
                #expect(response.status == .internalServerError)
                #expect(try response.apiError.code == "injected_fault")
            }
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok, "probes are never faulted")
            }
        }
    }
}

/// `EventLoopResponder`'s decisions, one pipeline event at a time, on NIO's `EmbeddedChannel`.
@Suite("The event-loop responder's decisions")
struct EventLoopResponderTests {
    /// Counts the quiesce events that get past the responder, as Hummingbird's connection handler would see them.
    final class QuiesceRecorder: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        var seen = 0

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if event is ChannelShouldQuiesceEvent { seen += 1 }
            context.fireUserInboundEventTriggered(event)
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            context.fireChannelRead(data)
        }
    }

    struct Fixture {
        let channel: EmbeddedChannel
        let recorder = QuiesceRecorder()
        let metrics = PetrelMetrics(version: "test", environment: "test", pod: "", node: "")
        let faults = FaultInjector(errorRate: 0, maximumDelayMilliseconds: 0)
        /// A responder for one more connection; made the way `buildApplication` makes them.
        let makeResponder: @Sendable () -> EventLoopResponder

        init(installed: Bool = true) throws {
            let readiness = Readiness(minimumUptime: .zero)
            let health = HealthRoutes(
                readiness: readiness, apiKeys: try APIKeys(path: "", environment: .development, logger: Logger(label: "test")),
                logger: Logger(label: "test"))
            let routes = Dictionary(uniqueKeysWithValues: health.instantRoutes.map { ($0.path, $0) })
            let handler = PetrelLogHandler(level: .info, format: .json, writer: LogWriter(fileDescriptor: open("/dev/null", O_WRONLY)))
            let telemetry = RequestTelemetry(metrics: metrics, accessLog: AccessLog(handler: handler))
            makeResponder = { [faults] in EventLoopResponder(routes: routes, telemetry: telemetry, faults: faults, date: HTTPDate()) }
            channel = EmbeddedChannel()
            if installed { try channel.pipeline.syncOperations.addHandlers([makeResponder(), recorder]) }
        }

        func send(_ path: String, method: HTTPMethod = .GET, version: HTTPVersion = .http1_1, _ headers: HTTPHeaders = [:]) throws {
            try sendHead(path, method: method, version: version, headers)
            try channel.writeInbound(HTTPServerRequestPart.end(nil))
        }

        func sendHead(_ path: String, method: HTTPMethod, version: HTTPVersion, _ headers: HTTPHeaders) throws {
            try channel.writeInbound(HTTPServerRequestPart.head(HTTPRequestHead(version: version, method: method, uri: path, headers: headers)))
        }

        /// The request passed on to the router, if one was.
        func forwarded() throws -> String? {
            guard let head = try channel.readInbound(as: HTTPServerRequestPart.self) else { return nil }
            guard case .head(let request) = head, case .end = try channel.readInbound(as: HTTPServerRequestPart.self) else {
                throw TestFailure("expected a head and an end")
            }
            return request.uri
        }

        /// The response written here, if one was.
        func answered() throws -> (status: Int, requestID: String?)? {
            guard case .head(let response) = try channel.readOutbound(as: HTTPServerResponsePart.self) else { return nil }
            guard case .body = try channel.readOutbound(as: HTTPServerResponsePart.self),
                case .end = try channel.readOutbound(as: HTTPServerResponsePart.self)
            else { throw TestFailure("expected a body and an end") }
            return (Int(response.status.code), response.headers.first(name: "X-Request-ID"))
        }

        func activeRequests() -> String {
            var buffer: [UInt8] = []
            metrics.registry.emit(into: &buffer)
            return String(decoding: buffer, as: UTF8.self).split(separator: "\n").first { $0.hasPrefix("http_server_active_requests ") }
                .map(String.init) ?? "missing"
        }
    }

    @Test func answersAnInstantRouteWithTheCallersRequestID() throws {
        let fixture = try Fixture()
        try fixture.send("/healthz", ["X-Request-ID": "abc-1", "Connection": "Keep-Alive"])
        #expect(try fixture.forwarded() == nil)
        let answer = try #require(try fixture.answered())
        #expect(answer.status == 200)
        #expect(answer.requestID == "abc-1")
        #expect(fixture.activeRequests() == "http_server_active_requests 0.0")
    }

    /// The router sees repeated fields joined with ", ", which is not a valid id.
    @Test func aRepeatedRequestIDIsReplacedAsTheRouterReplacesIt() throws {
        let fixture = try Fixture()
        try fixture.send("/healthz", ["X-Request-ID": "first", "X-Request-ID": "second"])
        let answer = try #require(try fixture.answered())
        #expect(answer.requestID?.count == 32)
    }

    struct Request: Sendable, CustomTestStringConvertible {
        var path = "/healthz"
        var method = HTTPMethod.GET
        var version = HTTPVersion.http1_1
        var headers: HTTPHeaders = [:]
        var testDescription: String { "\(method) \(path) \(version) \(headers)" }
    }

    @Test(arguments: [
        Request(path: "/healthz?verbose=1"), Request(method: .POST), Request(method: .HEAD), Request(version: .http1_0),
        Request(headers: ["Content-Length": "0"]), Request(headers: ["Transfer-Encoding": "chunked"]),
        Request(headers: ["Connection": "close"]), Request(headers: ["Connection": "upgrade"]),
        Request(headers: ["Connection": "keep-alive", "Connection": "close"]),
        Request(path: "/healthz/"), Request(path: "/hits"), Request(path: "http://petrel/healthz"),
    ])
    func passesOnWhatItCannotAnswerExactly(_ request: Request) throws {
        let fixture = try Fixture()
        try fixture.send(request.path, method: request.method, version: request.version, request.headers)
        #expect(try fixture.forwarded() == request.path)
        #expect(try fixture.answered() == nil)
    }

    @Test func waitsForTheRouterBeforeAnsweringAgain() throws {
        let fixture = try Fixture()
        try fixture.send("/hits")
        try fixture.send("/healthz")
        #expect(try fixture.forwarded() == "/hits")
        #expect(try fixture.forwarded() == "/healthz", "answering now would overtake /hits")
        // The router answers both.
        for _ in 0..<2 {
            try fixture.channel.writeOutbound(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: .ok)))
            try fixture.channel.writeOutbound(HTTPServerResponsePart.end(nil))
        }
        while try fixture.channel.readOutbound(as: HTTPServerResponsePart.self) != nil {}
        try fixture.send("/healthz")
        #expect(try fixture.forwarded() == nil)
        #expect(try fixture.answered()?.status == 200)
    }

    @Test func passesOnEverythingWhileFaultsAreOn() throws {
        let fixture = try Fixture()
        _ = fixture.faults.update { $0.enabled = true }
        try fixture.send("/healthz")
        #expect(try fixture.forwarded() == "/healthz")
    }

    @Test func aQuiesceWithNothingUnwrittenPassesAtOnceAndLeavesLaterRequestsToTheRouter() throws {
        let fixture = try Fixture()
        fixture.channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        #expect(fixture.recorder.seen == 1)
        try fixture.send("/healthz")
        #expect(try fixture.forwarded() == "/healthz")
    }

    /// A client that pipelines without reading must not make the server queue answers without
    /// bound: once the socket is full, the router (which waits for it) takes the requests.
    @Test func aFullSocketLeavesRequestsToTheRouter() throws {
        let fixture = try Fixture()
        fixture.channel.isWritable = false
        try fixture.send("/healthz")
        #expect(try fixture.forwarded() == "/healthz")
    }

    /// Hummingbird reads nothing after a request that asked for `Connection: close`.
    @Test func nothingIsAnsweredAfterARequestForClose() throws {
        let fixture = try Fixture()
        try fixture.send("/hits", ["Connection": "close"])
        #expect(try fixture.forwarded() == "/hits")
        try fixture.channel.writeOutbound(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: .ok)))
        try fixture.channel.writeOutbound(HTTPServerResponsePart.end(nil))
        try fixture.send("/healthz")
        #expect(try fixture.forwarded() == "/healthz")
    }

    /// swift-http-types trims the whitespace around a field value; so must the event loop.
    @Test func aRequestIDIsTrimmedAsTheRouterTrimsIt() throws {
        let fixture = try Fixture()
        try fixture.send("/healthz", ["X-Request-ID": "abc-2 \t"])
        #expect(try fixture.answered()?.requestID == "abc-2")
    }

    /// The real pipeline (`PetrelHTTP1Channel` around Hummingbird's HTTP/1.1 channel) on a test
    /// channel, with nothing running Hummingbird's side: an answer that appears at all came from
    /// the event loop.
    func withAssembledPipeline(_ body: (NIOAsyncTestingChannel) async throws -> Void) async throws {
        let fixture = try Fixture(installed: false)
        let server = PetrelHTTP1Channel(http1: HTTP1Channel(responder: { _, _, _ in }), makeResponder: fixture.makeResponder)
        let channel = NIOAsyncTestingChannel()
        let hummingbirdSide = try await channel.eventLoop.flatSubmit { server.setup(channel: channel, logger: Logger(label: "test")) }.get()
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 8080))
        try await hummingbirdSide.executeThenClose { _, _ in try await body(channel) }
    }

    static func written(_ channel: NIOAsyncTestingChannel) async throws -> String {
        var bytes = ByteBuffer()
        while let part = try await channel.readOutbound(as: IOData.self) {
            guard case .byteBuffer(let buffer) = part else { throw TestFailure("unexpected file region") }
            bytes.writeImmutableBuffer(buffer)
        }
        return String(buffer: bytes)
    }

    @Test func thePipelineAnswersOnTheEventLoop() async throws {
        try await withAssembledPipeline { channel in
            try await channel.writeInbound(ByteBuffer(string: "GET /healthz HTTP/1.1\r\nHost: petrel\r\nX-Request-ID: wire-1\r\n\r\n"))
            let text = try await Self.written(channel)
            #expect(text.hasPrefix("HTTP/1.1 200 OK\r\n"), "\(text)")
            #expect(text.contains("\r\nX-Request-ID: wire-1\r\n"))
            #expect(text.hasSuffix("\r\n\r\n" + #"{"status":"UP"}"#))
            // Asked to close, it is Hummingbird's: with nothing running that side, no answer comes.
            try await channel.writeInbound(ByteBuffer(string: "GET /healthz HTTP/1.1\r\nHost: petrel\r\nConnection: close\r\n\r\n"))
            #expect(try await channel.readOutbound(as: IOData.self) == nil)
        }
    }

    /// Hummingbird's connection handler closes a connection it thinks idle on quiesce, and
    /// answers given here are invisible to it: the close must wait until NIO holds none of them.
    @Test func aShutdownWaitsUntilNIOHoldsNoAnswer() async throws {
        try await withAssembledPipeline { channel in
            // Read without the read-complete event that flushes: the answer stays with NIO.
            channel.pipeline.fireChannelRead(ByteBuffer(string: "GET /healthz HTTP/1.1\r\nHost: petrel\r\n\r\n"))
            channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
            await channel.testingEventLoop.advanceTime(by: .milliseconds(50))
            #expect(channel.isActive, "closed with an answer unwritten")
            channel.flush()
            await channel.testingEventLoop.advanceTime(by: .milliseconds(10))
            #expect(!channel.isActive, "an idle connection closes once its answers are written")
            let text = try await Self.written(channel)
            #expect(text.hasPrefix("HTTP/1.1 200 OK\r\n"))
        }
    }
}
