import Atomics
import ElasticsearchClient
import Logging
import ServiceLifecycle

/// Makes sure the cities index exists with Petrel's mapping before the service reports ready.
/// Elasticsearch that is not up yet is retried with backoff while the service stays unready
/// (no init container needed). An index whose mapping conflicts, or credentials the cluster
/// refuses, stop the start: waiting cannot fix either.
final class ElasticsearchCityIndex: Service, DependencyCheck {
    let client: ElasticsearchClient
    let index: String
    let definition: IndexDefinition
    let logger: Logger
    private let isSetUp = ManagedAtomic(false)
    private let retry = RetryPolicy(maximumAttempts: .max, initialDelay: .milliseconds(200), maximumDelay: .seconds(5))
    var name: String { "elasticsearch" }

    init(client: ElasticsearchClient, index: String, shards: Int, replicas: Int, logger: Logger) {
        self.client = client
        self.index = index
        self.definition = IndexDefinition(shards: shards, replicas: replicas, fields: ElasticsearchCityStore.fields)
        self.logger = logger
    }

    func run() async throws {
        try await cancelWhenGracefulShutdown { [self] in
            var attempt = 0
            while !Task.isCancelled {
                do {
                    try await setUp()
                    return
                } catch ElasticsearchError.server(let status, let type, _) where status == 401 || status == 403 {
                    throw RefusedCredentials(status: status, type: type)
                } catch let error as ElasticsearchError {
                    attempt += 1
                    let pause = retry.delay(after: attempt)
                    logger.warning(
                        "elasticsearch: not ready yet, retrying",
                        metadata: ["attempt": "\(attempt)", "retry_in": "\(pause)", "error": "\(error)"])
                    try? await Task.sleep(for: pause)
                }
            }
        }
        try? await gracefulShutdown()
    }

    /// Creates the index when missing, then compares its mapping with ours.
    func setUp() async throws {
        if try await !client.indexExists(index) {
            if try await client.createIndex(index, definition) {
                logger.notice("elasticsearch: index created", metadata: ["index": "\(index)", "shards": "\(definition.shards)", "replicas": "\(definition.replicas)"])
            }
        }
        let actual = try await client.fieldTypes(of: index)
        let conflicts = definition.fields.sorted(by: { $0.key < $1.key }).compactMap { field, type -> String? in
            actual[field] == type ? nil : "\(field) is \(actual[field] ?? "missing"), Petrel needs \(type)"
        }
        guard conflicts.isEmpty else { throw ConflictingMapping(index: index, conflicts: conflicts) }
        if !isSetUp.exchange(true, ordering: .acquiringAndReleasing) {
            logger.notice("elasticsearch: index ready", metadata: ["index": "\(index)"])
        }
    }

    /// Ready when the index is set up with Petrel's mapping and is not red. An index that has gone
    /// (deleted, or a cluster restored empty) is set up again here, so the service recovers by
    /// itself; one re-created with another mapping (a write that auto-created it) fails the check.
    func check() async throws {
        guard isSetUp.load(ordering: .acquiring) else { throw IndexNotReady(index: index, state: "not set up yet") }
        try await setUp()
        let health = try await client.clusterHealth(index: index)
        guard health.status != "red" else { throw IndexNotReady(index: index, state: "red") }
    }

    struct ConflictingMapping: PublicReason {
        let index: String
        let conflicts: [String]
        var description: String {
            "Elasticsearch index \"\(index)\" has a conflicting mapping (\(conflicts.joined(separator: "; "))): "
                + "reindex it into Petrel's mapping, or point ELASTICSEARCH_INDEX at a new index"
        }
    }

    struct RefusedCredentials: Error, CustomStringConvertible {
        let status: Int
        let type: String
        var description: String {
            "Elasticsearch refused Petrel's credentials (\(status) \(type)): check ELASTICSEARCH_USERNAME and "
                + "ELASTICSEARCH_PASSWORD, or ELASTICSEARCH_API_KEY, and the privileges on the index"
        }
    }

    struct IndexNotReady: PublicReason {
        let index: String
        let state: String
        var description: String { "index \(index) is \(state)" }
    }
}
