@testable import ElasticsearchClient
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization
import Testing

/// A stand-in cluster that fails on purpose, to prove what the client retries and what not.
private final class FlakyCluster: Sendable {
    let failuresLeft: Mutex<Int>
    let requests = Mutex(0)
    let authorization = Mutex<String?>(nil)
    let failure: HTTPResponse.Status

    init(failures: Int, failure: HTTPResponse.Status = .serviceUnavailable) {
        failuresLeft = Mutex(failures)
        self.failure = failure
    }

    func application() -> some ApplicationProtocol {
        let router = Router()
        router.get("/_cluster/health") { request, _ in try self.answer(request) }
        router.put("/cities/_doc/{id}") { request, _ in try self.answer(request) }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    private func answer(_ request: Request) throws -> Response {
        requests.withLock { $0 += 1 }
        authorization.withLock { $0 = request.headers[.authorization] }
        let fail = failuresLeft.withLock { left in
            defer { left -= 1 }
            return left > 0
        }
        if fail {
            return Response(
                status: failure, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: #"{"error":{"type":"overloaded","reason":"try later"},"status":\#(failure.code)}"#)))
        }
        let body =
            request.uri.path.hasPrefix("/_cluster")
            ? #"{"status":"green","number_of_nodes":1}"# : #"{"result":"updated","_seq_no":2,"_primary_term":1}"#
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}

private func client(port: Int, authentication: ElasticsearchConfiguration.Authentication = .none) throws -> ElasticsearchClient {
    try ElasticsearchClient(
        configuration: ElasticsearchConfiguration(
            url: "http://127.0.0.1:\(port)", authentication: authentication, requestTimeout: .seconds(2),
            retry: RetryPolicy(maximumAttempts: 3, initialDelay: .milliseconds(10), maximumDelay: .milliseconds(50))),
        logger: Logger(label: "test"))
}

@Suite("Elasticsearch client retries")
struct RetryTests {
    @Test(arguments: [HTTPResponse.Status.tooManyRequests, .badGateway, .serviceUnavailable, .gatewayTimeout])
    func idempotentCallsAreRetriedOnTransientStatuses(_ status: HTTPResponse.Status) async throws {
        let cluster = FlakyCluster(failures: 2, failure: status)
        try await cluster.application().test(.live) { testClient in
            let es = try client(port: try #require(testClient.port))
            #expect(try await es.clusterHealth().status == "green")
            #expect(cluster.requests.withLock { $0 } == 3)
            try await es.shutdown()
        }
    }

    @Test func retriesStopAtTheAttemptLimitWithTheServersError() async throws {
        let cluster = FlakyCluster(failures: 10)
        try await cluster.application().test(.live) { testClient in
            let es = try client(port: try #require(testClient.port))
            await #expect { try await es.clusterHealth() } throws: { error in
                guard case ElasticsearchError.server(503, "overloaded", "try later") = error else { return false }
                return true
            }
            #expect(cluster.requests.withLock { $0 } == 3)
            try await es.shutdown()
        }
    }

    @Test(arguments: [nil, DocumentVersion(sequenceNumber: 1, primaryTerm: 1)])
    func writesAreSentOnce(_ condition: DocumentVersion?) async throws {
        let cluster = FlakyCluster(failures: 1)
        try await cluster.application().test(.live) { testClient in
            let es = try client(port: try #require(testClient.port))
            await #expect(throws: ElasticsearchError.self) {
                try await es.putDocument(["name": "x"], index: "cities", id: "x", ifVersion: condition)
            }
            #expect(cluster.requests.withLock { $0 } == 1, "a repeat could report a conflict or 'updated' for a create")
            try await es.shutdown()
        }
    }

    @Test func sendsBasicAuthAndAPIKeys() async throws {
        let cluster = FlakyCluster(failures: 0)
        try await cluster.application().test(.live) { testClient in
            let port = try #require(testClient.port)
            let basic = try client(port: port, authentication: .basic(username: "elastic", password: "s3cret"))
            _ = try await basic.clusterHealth()
            #expect(cluster.authorization.withLock { $0 } == "Basic ZWxhc3RpYzpzM2NyZXQ=")
            try await basic.shutdown()
            let keyed = try client(port: port, authentication: .apiKey("aWQ6a2V5"))
            _ = try await keyed.clusterHealth()
            #expect(cluster.authorization.withLock { $0 } == "ApiKey aWQ6a2V5")
            try await keyed.shutdown()
        }
    }
}

@Suite("Elasticsearch client cancellation")
struct CancellationTests {
    @Test func aCancelledCallStopsRetryingAndSaysSo() async throws {
        let cluster = FlakyCluster(failures: 100)
        try await cluster.application().test(.live) { testClient in
            let es = try ElasticsearchClient(
                configuration: ElasticsearchConfiguration(
                    url: "http://127.0.0.1:\(try #require(testClient.port))", requestTimeout: .seconds(10),
                    retry: RetryPolicy(maximumAttempts: 100, initialDelay: .milliseconds(200), maximumDelay: .milliseconds(200))),
                logger: Logger(label: "test"))
            let call = Task { try await es.clusterHealth() }
            try await Task.sleep(for: .milliseconds(100))
            call.cancel()
            let result = await call.result
            #expect { try result.get() } throws: { error in
                guard case ElasticsearchError.cancelled = error else { return false }
                return true
            }
            #expect(cluster.requests.withLock { $0 } < 5, "no retries after the cancellation")
            try await es.shutdown()
        }
    }
}
