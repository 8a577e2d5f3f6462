public import AsyncHTTPClient
import Foundation
public import Logging
public import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOSSL
public import ServiceLifecycle

/// A small Elasticsearch REST client on AsyncHTTPClient: pooled keep-alive connections, a time
/// budget per call, retries of idempotent calls with capped exponential backoff and jitter, and
/// typed errors decoded from the cluster's error bodies. It never looks at the server's version
/// string, so OpenSearch and compatible servers work too.
///
/// It makes no spans of its own: callers trace their calls, and pass `injectHeaders` to carry the
/// trace context to the cluster.
///
/// It is a `Service`: run it in the ServiceGroup and it closes its connections at shutdown.
public final class ElasticsearchClient: Service, Sendable {
    public let configuration: ElasticsearchConfiguration
    let http: HTTPClient
    let logger: Logger
    private let authorization: String?

    /// Headers to add to every request, e.g. the W3C `traceparent` of the current span.
    public typealias HeaderInjector = @Sendable (inout HTTPHeaders) -> Void
    private let injectHeaders: HeaderInjector?

    public init(
        configuration: ElasticsearchConfiguration, eventLoopGroup: any EventLoopGroup = HTTPClient.defaultEventLoopGroup,
        logger: Logger, injectHeaders: HeaderInjector? = nil
    ) throws(ElasticsearchError) {
        var http = HTTPClient.Configuration()
        http.timeout = .init(connect: .init(configuration.connectTimeout), read: .init(configuration.requestTimeout))
        http.connectionPool = .init(
            idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: configuration.maximumConnections)
        http.decompression = .disabled
        // Callers trace their calls (with `injectHeaders` for the context); a span of the client's
        // own would duplicate theirs, and costs a URL parse per call even with no tracer installed.
        http.tracing.tracer = nil
        // The pool would otherwise keep retrying a refused connect until the connect timeout,
        // holding every call for its whole budget; this client's own retry loop decides instead.
        http.connectionPool.retryConnectionEstablishment = false
        if let caBundlePath = configuration.caBundlePath {
            guard FileManager.default.isReadableFile(atPath: caBundlePath) else {
                throw .invalidConfiguration("cannot read the CA bundle \(caBundlePath)")
            }
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .file(caBundlePath)
            http.tlsConfiguration = tls
        }
        self.http = HTTPClient(eventLoopGroupProvider: .shared(eventLoopGroup), configuration: http, backgroundActivityLogger: logger)
        self.configuration = configuration
        self.logger = logger
        self.injectHeaders = injectHeaders
        switch configuration.authentication {
        case .none: authorization = nil
        case .basic(let username, let password): authorization = "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()
        case .apiKey(let key): authorization = "ApiKey " + key
        }
    }

    public func run() async throws {
        try? await gracefulShutdown()
        try await shutdown()
        logger.notice("elasticsearch: client closed")
    }

    /// Closes the connections; for use outside a ServiceGroup.
    public func shutdown() async throws {
        try await http.shutdown()
    }

    /// Whether a failed attempt may be sent again. Only calls whose repetition cannot change
    /// the outcome are retried; a conditional write or a delete is sent once.
    enum Idempotency {
        case idempotent, once
    }

    struct Response {
        let status: Int
        let body: ByteBuffer

        func decode<T: Decodable>(_ type: T.Type) throws(ElasticsearchError) -> T {
            do {
                return try JSONDecoder().decode(type, from: body)
            } catch {
                throw .unexpectedResponse(status: status, "cannot decode \(T.self): \(error)")
            }
        }

        /// The cluster's error as a typed error.
        var error: ElasticsearchError {
            if let decoded = try? JSONDecoder().decode(ErrorBody.self, from: body) {
                return .server(status: status, type: decoded.error.type, reason: decoded.error.reason ?? decoded.error.type)
            }
            return .unexpectedResponse(status: status, String(buffer: body.getSlice(at: body.readerIndex, length: min(body.readableBytes, 512)) ?? body))
        }
    }

    /// Sends one call within `configuration.requestTimeout`, retrying transient failures of
    /// idempotent calls. Returns every answer the caller may want to read, error statuses
    /// included (a 404 is an answer); throws only when there is no usable answer.
    func send(
        _ method: HTTPMethod, _ path: String, query: [(String, String)] = [], body: ByteBuffer? = nil, idempotency: Idempotency
    ) async throws(ElasticsearchError) -> Response {
        let deadline = ContinuousClock.now + configuration.requestTimeout
        var request = HTTPClientRequest(url: configuration.baseURL + path + Self.queryString(query))
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        if let authorization { request.headers.add(name: "Authorization", value: authorization) }
        injectHeaders?(&request.headers)
        if let body {
            request.body = .bytes(body)
            request.headers.add(name: "Content-Type", value: "application/json")
        }
        let attempts = idempotency == .idempotent ? configuration.retry.maximumAttempts : 1
        var attempt = 0
        while true {
            attempt += 1
            let failure: ElasticsearchError
            do {
                let response = try await execute(request, deadline: deadline)
                guard ElasticsearchError.isTransient(status: response.status) else { return response }
                failure = response.error
            } catch {
                failure = error
            }
            let pause = configuration.retry.delay(after: attempt)
            guard attempt < attempts, failure.isTransient, ContinuousClock.now + pause < deadline else { throw failure }
            logger.debug(
                "elasticsearch: retrying",
                metadata: ["method": "\(method.rawValue)", "path": "\(path)", "attempt": "\(attempt)", "error": "\(failure)"])
            do {
                try await Task.sleep(for: pause)
            } catch {
                throw .cancelled
            }
        }
    }

    private func execute(_ request: HTTPClientRequest, deadline: ContinuousClock.Instant) async throws(ElasticsearchError) -> Response {
        let remaining = deadline - .now
        guard remaining > .zero else { throw .timeout }
        do {
            let response = try await http.execute(request, deadline: .now() + .init(remaining))
            let body = try await response.body.collect(upTo: 16 << 20)
            return Response(status: Int(response.status.code), body: body)
        } catch let error as HTTPClientError where [.deadlineExceeded, .readTimeout, .connectTimeout].contains(error) {
            throw .timeout
        } catch let error as HTTPClientError where error == .cancelled {
            throw .cancelled
        } catch is CancellationError {
            throw .cancelled
        } catch {
            throw .connection("\(error)")
        }
    }

    static func json(_ value: some Encodable) throws(ElasticsearchError) -> ByteBuffer {
        do {
            return ByteBuffer(data: try JSONEncoder().encode(value))
        } catch {
            throw .unexpectedResponse(status: 0, "cannot encode the request: \(error)")
        }
    }

    static func queryString(_ query: [(String, String)]) -> String {
        guard !query.isEmpty else { return "" }
        return "?" + query.map { "\(pathSegment($0.0))=\(pathSegment($0.1))" }.joined(separator: "&")
    }

    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    /// One path segment (an index name, a document id), percent-encoded so that `/`, `?`, `#`
    /// and non-ASCII letters in an id reach the cluster intact.
    static func pathSegment(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: unreserved) ?? value
    }
}
