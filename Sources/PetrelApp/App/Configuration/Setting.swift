/// One configuration setting: its swift-configuration key, how it is spelled as an environment
/// variable and a flag, its default and what it does. `Setting.all` is the single list that
/// `petrel --help`, validation and the README's configuration table are checked against.
public struct Setting: Sendable, Hashable {
    /// The swift-configuration key, e.g. `http.port` or `shutdown.drainSeconds`.
    public let key: String
    /// The value used when nothing sets it; `nil` means unset (the feature is off).
    public let defaultValue: String?
    public let summary: String
    /// Whether the value must never be printed or logged.
    public let isSecret: Bool

    init(_ key: String, default defaultValue: String?, _ summary: String, secret: Bool = false) {
        self.key = key
        self.defaultValue = defaultValue
        self.summary = summary
        self.isSecret = secret
    }

    /// `http.port` → `HTTP_PORT`, `shutdown.drainSeconds` → `SHUTDOWN_DRAIN_SECONDS`
    /// (swift-configuration's environment naming).
    public var environmentName: String { words.joined(separator: "_").uppercased() }

    /// `http.port` → `--http-port` (swift-configuration's command-line naming).
    public var flag: String { "--" + words.joined(separator: "-").lowercased() }

    private var words: [String] {
        key.split(separator: ".").flatMap { component -> [String] in
            var words: [String] = []
            var current = ""
            for character in component {
                if character.isUppercase, !current.isEmpty {
                    words.append(current)
                    current = ""
                }
                current.append(character)
            }
            if !current.isEmpty { words.append(current) }
            return words
        }
    }
}

extension Setting {
    static let httpHost = Setting("http.host", default: "0.0.0.0", "Address to listen on.")
    static let httpPort = Setting("http.port", default: "8080", "Port to listen on (0 picks a free one).")
    static let adminPort = Setting(
        "admin.port", default: "9797",
        "Port of the admin listener: /metrics, fault switches, readiness switches, /status and /delay; never exposed by an Ingress (0 picks a free one).")
    static let httpHeaderTimeout = Setting(
        "http.headerTimeoutSeconds", default: "15", "A request head must arrive within this, once its first byte has (then the connection is closed).")
    static let httpBodyTimeout = Setting(
        "http.bodyTimeoutSeconds", default: "30", "Longest pause allowed while a request body is read (then the connection is closed).")
    static let httpIdleTimeout = Setting(
        "http.idleTimeoutSeconds", default: "75", "A keep-alive connection idle this long is closed; keep it above the load balancer's (60 s).")
    static let httpMaxConnections = Setting(
        "http.maxConnections", default: nil,
        "Most open client connections; more wait in the listen backlog. Unset: the file limit less a reserve for the backends.")
    static let appEnv = Setting("app.env", default: "production", "Environment: development, staging or production.")
    static let logLevel = Setting("log.level", default: "info", "trace, debug, info, notice, warning, error or critical.")
    static let logFormat = Setting("log.format", default: "json", "json (one object per line) or text.")
    static let readyMinUptime = Setting(
        "ready.minUptimeSeconds", default: "0", "Readiness stays 503 until the process is this old.")
    static let shutdownDrain = Setting(
        "shutdown.drainSeconds", default: "5", "After SIGTERM: keep serving this long while readiness is 503.")
    static let shutdownTimeout = Setting(
        "shutdown.timeoutSeconds", default: "10",
        "After the drain: time allowed for in-flight requests and backend closes (at least 1); then they are cancelled and the exit status is 1.")
    static let dependencyCheckInterval = Setting(
        "dependency.checkIntervalSeconds", default: "2", "How often backends are checked for readiness.")
    static let maxBodyBytes = Setting("max.bodyBytes", default: "65536", "Largest request body accepted (413 above).")
    static let dataDir = Setting("data.dir", default: "./data", "Directory for the embedded SQLite stores.")
    static let counterStore = Setting("counter.store", default: "sqlite", "Hit counter backend: memory, sqlite or redis.")
    static let counterKey = Setting("counter.key", default: "petrel:hits", "Name of the shared counter (Redis key, SQLite row).")
    static let redisURL = Setting(
        "redis.url", default: "redis://127.0.0.1:6379/0", "redis://[user:password@]host[:port][/db], rediss:// for TLS.", secret: true)
    static let redisTimeoutMs = Setting(
        "redis.timeoutMs", default: "250", "Longest a Redis call may take, pool wait and connect included.")
    static let redisPoolSize = Setting("redis.poolSize", default: "8", "Most connections to Redis per process.")
    static let redisCAFile = Setting(
        "redis.caFile", default: nil, "PEM CA bundle that signed Redis's certificate, for rediss:// (system roots when unset).")
    static let cityStore = Setting("city.store", default: "sqlite", "City API backend: memory, sqlite or elasticsearch.")
    static let cityCacheTTL = Setting(
        "city.cacheTtlSeconds", default: "0", "Cache GET /cities/{name} in Redis (REDIS_URL) this long; 0 turns the cache off.")
    static let elasticsearchURL = Setting("elasticsearch.url", default: "http://127.0.0.1:9200", "Elasticsearch (or OpenSearch) base URL.")
    static let elasticsearchIndex = Setting(
        "elasticsearch.index", default: "cities", "Alias the cities are read and written through; the index <alias>-v1 behind it is created with its mapping when missing.")
    static let elasticsearchUsername = Setting("elasticsearch.username", default: nil, "Basic-auth user for Elasticsearch.")
    static let elasticsearchPassword = Setting("elasticsearch.password", default: nil, "Basic-auth password for Elasticsearch.", secret: true)
    static let elasticsearchAPIKey = Setting(
        "elasticsearch.apiKey", default: nil, "Elasticsearch API key (the base64 id:key); used instead of basic auth.", secret: true)
    static let elasticsearchCAFile = Setting(
        "elasticsearch.caFile", default: nil, "PEM CA bundle that signed the cluster's certificate (system roots when unset).")
    static let elasticsearchTimeoutMs = Setting(
        "elasticsearch.timeoutMs", default: "1000", "Longest an Elasticsearch call may take, retries included.")
    static let elasticsearchShards = Setting("elasticsearch.shards", default: "1", "Primary shards of a newly created index.")
    static let elasticsearchReplicas = Setting("elasticsearch.replicas", default: "1", "Replicas of a newly created index (0 for a single node).")
    static let apiKeysFile = Setting(
        "apiKeys.file", default: nil, "File of API keys for writes and operator endpoints, one per line (plain or sha256:<hex>); re-read on change.")
    static let otlpEndpoint = Setting(
        "otel.exporter.otlp.endpoint", default: nil,
        "OTLP/HTTP collector (e.g. http://otel-collector:4318): export traces there; unset, tracing is off.")
    static let otelServiceName = Setting("otel.serviceName", default: "petrel", "service.name of the exported spans.")
    static let faultErrorRate = Setting(
        "fault.errorRate", default: "0", "Fault injection: fraction of application requests answered 500 (0 to 1).")
    static let faultDelayMs = Setting(
        "fault.delayMs", default: "0", "Fault injection: delay each application request randomly up to this many ms.")
    static let podName = Setting("pod.name", default: nil, "Pod name (Kubernetes downward API).")
    static let nodeName = Setting("node.name", default: nil, "Node name (Kubernetes downward API).")
    static let podNamespace = Setting("pod.namespace", default: nil, "Namespace (Kubernetes downward API).")

    /// Every setting, in the order `petrel --help` lists them.
    public static let all: [Setting] = [
        httpHost, httpPort, adminPort, httpHeaderTimeout, httpBodyTimeout, httpIdleTimeout, httpMaxConnections, appEnv, logLevel, logFormat,
        readyMinUptime, shutdownDrain, shutdownTimeout, dependencyCheckInterval, maxBodyBytes,
        dataDir, counterStore, counterKey, redisURL, redisTimeoutMs, redisPoolSize, redisCAFile,
        cityStore, cityCacheTTL, elasticsearchURL, elasticsearchIndex, elasticsearchUsername, elasticsearchPassword,
        elasticsearchAPIKey, elasticsearchCAFile, elasticsearchTimeoutMs, elasticsearchShards, elasticsearchReplicas, apiKeysFile,
        otlpEndpoint, otelServiceName,
        faultErrorRate, faultDelayMs, podName, nodeName, podNamespace,
    ]

    /// The text `petrel --help` prints.
    public static var helpText: String {
        var lines = [
            "petrel — an HTTP service with probes, metrics, a shared hit counter and a city API.",
            "",
            "Usage: petrel [--setting value ...]",
            "",
            "Every setting is an environment variable; a flag of the same name overrides it, and a",
            "./.env file is read last. Precedence: flags, environment, .env, defaults.",
            "",
        ]
        let width = all.map(\.environmentName.count).max() ?? 0
        for setting in all {
            let name = setting.environmentName + String(repeating: " ", count: width - setting.environmentName.count)
            let fallback = setting.defaultValue.map { "default \($0)" } ?? "unset"
            lines.append("  \(name)  \(setting.summary) [\(fallback)] (\(setting.flag))")
        }
        return lines.joined(separator: "\n")
    }
}
