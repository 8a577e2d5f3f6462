import Foundation

/// Where the cluster is and how to talk to it. Built from `ELASTICSEARCH_*` settings.
public struct ElasticsearchConfiguration: Sendable {
    public enum Authentication: Sendable {
        case none
        case basic(username: String, password: String)
        /// The base64 `id:api_key` value Elasticsearch hands out, sent as `Authorization: ApiKey …`.
        case apiKey(String)
    }

    /// `http(s)://host:port`, optionally with a path prefix for a proxy.
    public var baseURL: String
    public var authentication: Authentication
    /// PEM file of the CA that signed the cluster's certificate; the system roots when `nil`.
    public var caBundlePath: String?
    /// The whole budget of one call, retries and backoff included.
    public var requestTimeout: Duration
    public var connectTimeout: Duration
    public var retry: RetryPolicy
    /// Most concurrent HTTP/1.1 connections to the cluster.
    public var maximumConnections: Int

    public init(
        url: String, authentication: Authentication = .none, caBundlePath: String? = nil,
        requestTimeout: Duration = .seconds(2), retry: RetryPolicy = RetryPolicy(), maximumConnections: Int = 16
    ) throws(ElasticsearchError) {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty
        else {
            throw .invalidConfiguration("the URL must look like http(s)://host:port, got \(Self.redact(url))")
        }
        guard components.user == nil, components.password == nil else {
            throw .invalidConfiguration("put credentials in ELASTICSEARCH_USERNAME/PASSWORD, not in the URL")
        }
        self.baseURL = url.hasSuffix("/") ? String(url.dropLast()) : url
        self.authentication = authentication
        self.caBundlePath = caBundlePath
        self.requestTimeout = requestTimeout
        self.connectTimeout = min(requestTimeout, .seconds(1))
        self.retry = retry
        self.maximumConnections = maximumConnections
    }

    /// The URL without anything secret, for logs.
    public var redacted: String { Self.redact(baseURL) }

    private static func redact(_ url: String) -> String {
        guard var components = URLComponents(string: url) else { return "(unparseable URL)" }
        if components.password != nil { components.password = "***" }
        return components.string ?? "(unparseable URL)"
    }
}

/// Capped exponential backoff with full jitter between attempts of an idempotent call.
public struct RetryPolicy: Sendable {
    public var maximumAttempts: Int
    public var initialDelay: Duration
    public var maximumDelay: Duration

    public init(maximumAttempts: Int = 3, initialDelay: Duration = .milliseconds(50), maximumDelay: Duration = .seconds(1)) {
        self.maximumAttempts = maximumAttempts
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
    }

    /// The pause before attempt `attempt + 1` (attempts count from 1): random in [0, cap].
    public func delay(after attempt: Int) -> Duration {
        let cap = min(maximumDelay, initialDelay * (1 << min(attempt - 1, 20)))
        return cap * Double.random(in: 0...1)
    }
}
