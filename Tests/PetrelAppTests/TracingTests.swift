import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Synchronization
import Testing
import TestSupport

/// An OTLP/HTTP receiver (JSON protocol, so the test can read it) and a recording proxy in front
/// of the real Elasticsearch-compatible server, to see the `traceparent` Petrel sends it.
private final class TraceWitness: Sendable {
    let exports = Mutex<[String]>([])
    let traceparents = Mutex<[String]>([])

    func receiver() -> some ApplicationProtocol {
        let router = Router()
        router.post("/v1/traces") { request, _ in
            var request = request
            let body = try await request.collectBody(upTo: 8 << 20)
            self.exports.withLock { $0.append(String(buffer: body)) }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: "{}")))
        }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    func proxy(to upstream: String, client: HTTPClient) -> some ApplicationProtocol {
        let router = Router()
        router.on("**", method: .get) { request, context in try await self.forward(request, context, upstream, client) }
        router.on("**", method: .head) { request, context in try await self.forward(request, context, upstream, client) }
        router.on("**", method: .put) { request, context in try await self.forward(request, context, upstream, client) }
        router.on("**", method: .post) { request, context in try await self.forward(request, context, upstream, client) }
        router.on("**", method: .delete) { request, context in try await self.forward(request, context, upstream, client) }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    private func forward(_ request: Request, _ context: some RequestContext, _ upstream: String, _ client: HTTPClient) async throws -> Response {
        if let traceparent = request.headers[HTTPField.Name("traceparent")!] { traceparents.withLock { $0.append(traceparent) } }
        var outgoing = HTTPClientRequest(url: upstream + request.uri.description)
        outgoing.method = .init(rawValue: request.method.rawValue)
        if let type = request.headers[.contentType] { outgoing.headers.add(name: "Content-Type", value: type) }
        var request = request
        outgoing.body = .bytes(try await request.collectBody(upTo: 1 << 20))
        let answer = try await client.execute(outgoing, timeout: .seconds(5))
        let body = try await answer.body.collect(upTo: 8 << 20)
        return Response(
            status: .init(code: Int(answer.status.code)), headers: [.contentType: answer.headers.first(name: "Content-Type") ?? "application/json"],
            body: .init(byteBuffer: body))
    }
}

@Suite("Tracing", .serialized)
struct TracingTests {
    @Test(.enabled(if: ServerBinary.elasticsearch.isAvailable, Comment(rawValue: ServerBinary.elasticsearch.missingMessage)))
    func spansAreExportedLinkedToTheCallerAndPropagatedToElasticsearch() async throws {
        let elasticsearch = try ElasticsearchServer()
        let witness = TraceWitness()
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        try await witness.receiver().test(.live) { receiver in
            try await witness.proxy(to: elasticsearch.url, client: client).test(.live) { proxy in
                let petrel = try PetrelProcess([
                    "CITY_STORE": "elasticsearch", "ELASTICSEARCH_URL": "http://127.0.0.1:\(try #require(proxy.port))",
                    "ELASTICSEARCH_REPLICAS": "0", "APP_ENV": "development", "ELASTICSEARCH_TIMEOUT_MS": "5000",
                    "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:\(try #require(receiver.port))",
                    "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json", "OTEL_BSP_SCHEDULE_DELAY": "100",
                ])
                let port = try await petrel.port()
                #expect(try await CityLiveTests.becomesReady(port))

                let traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
                let callerSpan = "00f067aa0ba902b7"
                let answer = try await LiveProcessTests.request(
                    port, .GET, "/cities/oslo", headers: [("traceparent", "00-\(traceID)-\(callerSpan)-01"), ("X-Request-ID", "traced-1")])
                #expect(answer.status == 404)

                // The request's log line names the caller's trace and a span of our own.
                let line = try await petrel.waitForLog("request", timeout: .seconds(5), where: { $0["request_id"] as? String == "traced-1" })
                #expect(line["trace_id"] as? String == traceID)
                #expect((line["span_id"] as? String).map { $0.count == 16 && $0 != callerSpan } == true)

                // Elasticsearch was called within the same trace, from a child span.
                let sent = witness.traceparents.withLock { $0 }.filter { $0.contains(traceID) }
                #expect(!sent.isEmpty, "traceparent reached Elasticsearch: \(witness.traceparents.withLock { $0 }.suffix(3))")

                // The exporter sent both spans of that trace (swift-otel's JSON carries ids in base64).
                let traceIDBytes = stride(from: 0, to: traceID.count, by: 2).map {
                    UInt8(traceID.dropFirst($0).prefix(2), radix: 16)!
                }
                let exportedTraceID = Data(traceIDBytes).base64EncodedString()
                let exported = try await CityLiveTests.eventually(within: .seconds(10)) {
                    let all = witness.exports.withLock { $0.joined() }
                    return all.contains(exportedTraceID) && all.contains(#""name":"/cities/{name}""#) && all.contains(#""name":"elasticsearch get""#)
                }
                #expect(exported != nil, "spans exported: \(witness.exports.withLock { $0.joined().prefix(400) })")
                petrel.signal(SIGKILL)
            }
        }
        try await client.shutdown()
        elasticsearch.stop()
    }

    @Test func anUnreachableCollectorDoesNotSpoilAGracefulShutdown() async throws {
        let petrel = try PetrelProcess([
            "CITY_STORE": "memory", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:\(try freePort())",
            "SHUTDOWN_DRAIN_SECONDS": "0.2", "SHUTDOWN_TIMEOUT_SECONDS": "5",
        ])
        let port = try await petrel.port()
        #expect(try await LiveProcessTests.get(port, "/hello").status == 200)
        petrel.signal(SIGTERM)
        let (status, waited) = try await petrel.waitForExit(timeout: .seconds(10))
        #expect(status == 0)
        #expect(waited < .seconds(4), "the last export gives up after its 2 s deadline: \(waited)")
    }

    @Test func withoutAnEndpointLogLinesCarryNoTrace() async throws {
        let petrel = try PetrelProcess(["CITY_STORE": "memory"])
        let port = try await petrel.port()
        _ = try await LiveProcessTests.request(
            port, .GET, "/hello", headers: [("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"), ("X-Request-ID", "untraced")])
        let line = try await petrel.waitForLog("request", timeout: .seconds(5), where: { $0["request_id"] as? String == "untraced" })
        #expect(line["trace_id"] == nil)
        petrel.signal(SIGKILL)
    }
}
