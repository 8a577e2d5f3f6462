public import Configuration
public import ElasticsearchClient
public import Logging
public import RedisClient
import Foundation
import NIOSSL

/// The environment a deployment runs in. Development relaxes guards that production keeps.
public enum AppEnvironment: String, Sendable, CaseIterable {
    case development, staging, production
}

public enum LogFormat: String, Sendable, CaseIterable {
    case json, text
}

public enum CounterBackend: String, Sendable, CaseIterable {
    case memory, sqlite, redis
}

public enum CityBackend: String, Sendable, CaseIterable {
    case memory, sqlite, elasticsearch
}

/// Everything Petrel reads from its configuration, parsed and validated before anything starts.
public struct PetrelConfiguration: Sendable {
    public var httpHost: String
    public var httpPort: Int
    /// The admin listener's port, on the same host: operations endpoints, never the public edge.
    public var adminPort: Int
    public var connectionLimits: ConnectionLimits
    public var environment: AppEnvironment
    public var logLevel: Logger.Level
    public var logFormat: LogFormat
    public var readyMinUptime: Duration
    public var shutdownDrain: Duration
    public var shutdownTimeout: Duration
    public var dependencyCheckInterval: Duration
    public var maxBodyBytes: Int
    public var dataDirectory: String
    public var counterBackend: CounterBackend
    public var counterKey: String
    public var redis: RedisConfiguration
    public var cityBackend: CityBackend
    /// `nil`: no cache.
    public var cityCacheTTL: Duration?
    public var elasticsearch: ElasticsearchConfiguration
    public var elasticsearchIndex: String
    public var elasticsearchShards: Int
    public var elasticsearchReplicas: Int
    public var apiKeysFile: String?
    /// Where traces go; `nil`: tracing off.
    public var otlpEndpoint: String?
    public var otelServiceName: String
    public var tracingEnabled: Bool { otlpEndpoint != nil }
    public var faultErrorRate: Double
    public var faultDelayMilliseconds: Int
    public var identity: Identity

    /// Where this process runs, from the Kubernetes downward API; empty outside Kubernetes.
    public struct Identity: Sendable {
        public var pod: String
        public var node: String
        public var namespace: String
    }

    /// Reads and validates every setting; the first bad value throws, naming the variable.
    public init(reader: ConfigReader) throws(ConfigurationError) {
        let settings = SettingReader(reader: reader)
        httpHost = try settings.string(.httpHost, nonEmpty: true)
        httpPort = try settings.integer(.httpPort, in: 0...65535)
        adminPort = try settings.integer(.adminPort, in: 0...65535)
        if adminPort != 0, adminPort == httpPort {
            throw ConfigurationError(setting: .adminPort, value: String(adminPort), expected: "a port other than HTTP_PORT's")
        }
        environment = try settings.choice(.appEnv, AppEnvironment.self)
        logLevel = try settings.choice(.logLevel, Logger.Level.self)
        logFormat = try settings.choice(.logFormat, LogFormat.self)
        readyMinUptime = try settings.seconds(.readyMinUptime, in: 0...3600)
        shutdownDrain = try settings.seconds(.shutdownDrain, in: 0...300)
        // At least a second: with none, every shutdown would be cut off and exit 1.
        shutdownTimeout = try settings.seconds(.shutdownTimeout, in: 1...300)
        dependencyCheckInterval = try settings.seconds(.dependencyCheckInterval, in: 0.1...300)
        maxBodyBytes = try settings.integer(.maxBodyBytes, in: 1...(64 << 20))
        let maxConnections = try settings.string(.httpMaxConnections)
        connectionLimits = ConnectionLimits(
            headerTimeout: try settings.seconds(.httpHeaderTimeout, in: 1...3600),
            bodyTimeout: try settings.seconds(.httpBodyTimeout, in: 1...3600),
            idleTimeout: try settings.seconds(.httpIdleTimeout, in: 1...3600),
            maxConnections: maxConnections.isEmpty ? ConnectionLimits.derivedMaximumConnections() : try settings.integer(.httpMaxConnections, in: 1...1_000_000),
            maxBodyBytes: maxBodyBytes)
        dataDirectory = try settings.string(.dataDir, nonEmpty: true)
        counterBackend = try settings.choice(.counterStore, CounterBackend.self)
        counterKey = try settings.string(.counterKey, nonEmpty: true)
        let redisURL = try settings.string(.redisURL, nonEmpty: true)
        let redisTimeout = try settings.integer(.redisTimeoutMs, in: 1...60_000)
        let redisPoolSize = try settings.integer(.redisPoolSize, in: 1...1024)
        do {
            redis = try RedisConfiguration(url: redisURL, timeout: .milliseconds(redisTimeout), poolSize: redisPoolSize)
        } catch {
            throw ConfigurationError(setting: .redisURL, value: redisURL, expected: "a Redis URL (\(error))")
        }
        redis.caBundlePath = try settings.caBundle(.redisCAFile)
        cityBackend = try settings.choice(.cityStore, CityBackend.self)
        let cacheTTL = try settings.seconds(.cityCacheTTL, in: 0...86_400)
        cityCacheTTL = cacheTTL == .zero ? nil : cacheTTL
        elasticsearch = try Self.elasticsearch(settings)
        elasticsearchIndex = try settings.string(.elasticsearchIndex, nonEmpty: true)
        guard Self.isValidIndexName(elasticsearchIndex) else {
            throw ConfigurationError(
                setting: .elasticsearchIndex, value: elasticsearchIndex,
                expected: "an index name: lowercase, no spaces or \\/*?\"<>|,#, not starting with -, _ or +")
        }
        elasticsearchShards = try settings.integer(.elasticsearchShards, in: 1...1024)
        elasticsearchReplicas = try settings.integer(.elasticsearchReplicas, in: 0...16)
        let keysFile = try settings.string(.apiKeysFile)
        apiKeysFile = keysFile.isEmpty ? nil : keysFile
        let endpoint = try settings.string(.otlpEndpoint).trimmingWhitespace()
        guard endpoint.isEmpty || endpoint.hasPrefix("http://") || endpoint.hasPrefix("https://") else {
            throw ConfigurationError(setting: .otlpEndpoint, value: endpoint, expected: "an http(s):// URL of an OTLP/HTTP collector")
        }
        otlpEndpoint = endpoint.isEmpty ? nil : endpoint
        otelServiceName = try settings.string(.otelServiceName, nonEmpty: true)
        faultErrorRate = try settings.number(.faultErrorRate, in: 0...1)
        faultDelayMilliseconds = try settings.integer(.faultDelayMs, in: 0...10_000)
        identity = Identity(
            pod: try settings.string(.podName),
            node: try settings.string(.nodeName),
            namespace: try settings.string(.podNamespace)
        )
    }

    private static func elasticsearch(_ settings: SettingReader) throws(ConfigurationError) -> ElasticsearchConfiguration {
        let url = try settings.string(.elasticsearchURL, nonEmpty: true)
        let username = try settings.string(.elasticsearchUsername)
        let password = try settings.string(.elasticsearchPassword)
        let apiKey = try settings.string(.elasticsearchAPIKey)
        let caFile = try settings.caBundle(.elasticsearchCAFile)
        let timeout = try settings.integer(.elasticsearchTimeoutMs, in: 1...60_000)
        let authentication: ElasticsearchConfiguration.Authentication
        if !apiKey.isEmpty {
            authentication = .apiKey(apiKey)
        } else if !username.isEmpty {
            authentication = .basic(username: username, password: password)
        } else if !password.isEmpty {
            throw ConfigurationError(setting: .elasticsearchUsername, value: "", expected: "a user name to go with ELASTICSEARCH_PASSWORD")
        } else {
            authentication = .none
        }
        do {
            return try ElasticsearchConfiguration(
                url: url, authentication: authentication, caBundlePath: caFile,
                requestTimeout: .milliseconds(timeout))
        } catch {
            throw ConfigurationError(setting: .elasticsearchURL, value: url, expected: "an Elasticsearch URL (\(error))")
        }
    }

    private static func isValidIndexName(_ name: String) -> Bool {
        let forbidden = Set(#"\/*?"<>| ,#:"#)
        return name == name.lowercased() && name.utf8.count <= 255 && !["-", "_", "+"].contains(name.first)
            && name != "." && name != ".." && !name.contains(where: forbidden.contains)
    }

    /// A configuration from environment variables alone (`["HTTP_PORT": "0"]`), named as in production.
    public init(environment: [String: String]) throws(ConfigurationError) {
        try self.init(reader: ConfigReader(provider: EnvironmentVariablesProvider(environmentVariables: environment)))
    }
}

/// A setting whose value is not allowed. Its description is the one line the process prints
/// before exiting with status 2.
public struct ConfigurationError: Error, CustomStringConvertible {
    public let setting: Setting
    public let value: String
    public let expected: String

    public var description: String {
        let shown = setting.isSecret ? "(secret)" : "\"\(value)\""
        return "invalid \(setting.environmentName)=\(shown): expected \(expected) (set it in the environment or with \(setting.flag); see petrel --help)"
    }
}

/// Reads settings as strings and parses them here, so that a bad value is an error naming the
/// variable instead of silently falling back to the default.
struct SettingReader {
    let reader: ConfigReader

    func raw(_ setting: Setting) -> String? {
        reader.string(forKey: ConfigKey(setting.key), isSecret: setting.isSecret) ?? setting.defaultValue
    }

    func string(_ setting: Setting, nonEmpty: Bool = false) throws(ConfigurationError) -> String {
        let value = raw(setting) ?? ""
        if nonEmpty, value.allSatisfy(\.isWhitespace) {
            throw ConfigurationError(setting: setting, value: value, expected: "a non-empty value")
        }
        return value
    }

    /// The path of a PEM bundle of CA certificates, or `nil` when unset. It is read now, so that
    /// a wrong path or file stops the start instead of failing every TLS handshake later.
    func caBundle(_ setting: Setting) throws(ConfigurationError) -> String? {
        let path = try string(setting).trimmingWhitespace()
        guard !path.isEmpty else { return nil }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw ConfigurationError(setting: setting, value: path, expected: "a readable PEM file of CA certificates; this one cannot be read")
        }
        let certificates = (try? NIOSSLCertificate.fromPEMFile(path)) ?? []
        guard !certificates.isEmpty else {
            throw ConfigurationError(setting: setting, value: path, expected: "a PEM file of CA certificates; no certificate could be read from it")
        }
        return path
    }

    func integer(_ setting: Setting, in range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        let value = raw(setting) ?? ""
        guard let number = Int(value.trimmingWhitespace()), range.contains(number) else {
            throw ConfigurationError(
                setting: setting, value: value,
                expected: "a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    func number(_ setting: Setting, in range: ClosedRange<Double>, unit: String = "a number") throws(ConfigurationError) -> Double {
        let value = raw(setting) ?? ""
        guard let number = Double(value.trimmingWhitespace()), number.isFinite, range.contains(number) else {
            throw ConfigurationError(
                setting: setting, value: value,
                expected: "\(unit) from \(range.lowerBound.formatted) to \(range.upperBound.formatted)")
        }
        return number
    }

    func seconds(_ setting: Setting, in range: ClosedRange<Double>) throws(ConfigurationError) -> Duration {
        let number = try number(setting, in: range, unit: "a number of seconds")
        return .milliseconds(Int64((number * 1000).rounded()))
    }

    func choice<Choice: RawRepresentable & CaseIterable>(
        _ setting: Setting, _: Choice.Type
    ) throws(ConfigurationError) -> Choice where Choice.RawValue == String {
        let value = raw(setting) ?? ""
        guard let choice = Choice(rawValue: value.trimmingWhitespace().lowercased()) else {
            let allowed = Choice.allCases.map(\.rawValue).joined(separator: ", ")
            throw ConfigurationError(setting: setting, value: value, expected: "one of \(allowed)")
        }
        return choice
    }
}

extension String {
    func trimmingWhitespace() -> String {
        String(self.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}

extension Double {
    /// `5.0` → "5", `0.1` → "0.1".
    var formatted: String {
        self == rounded() ? String(Int(self)) : String(self)
    }
}
