import Atomics
import ElasticsearchClient
import Logging
import ServiceLifecycle

/// Makes sure the cities index exists with Petrel's mapping before the service reports ready.
/// Elasticsearch that is not up yet is retried with backoff while the service stays unready
/// (no init container needed); an index whose mapping conflicts stops the start, because
/// writing into it would fail or, worse, be searched wrongly.
final class ElasticsearchCityIndex: Service, DependencyCheck {
    let client: ElasticsearchClient
    let index: String
    let definition: IndexDefinition
    let logger: Logger
    private let isSetUp = ManagedAtomic(false)
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
                } catch let error as ElasticsearchError {
                    attempt += 1
                    let pause = Duration.milliseconds(min(5000, 100 << min(attempt, 6)))
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
        guard conflicts.isEmpty else { throw ConflictingMappingError(index: index, conflicts: conflicts) }
        isSetUp.store(true, ordering: .releasing)
        logger.notice("elasticsearch: index ready", metadata: ["index": "\(index)"])
    }

    /// Ready when the index is set up and the cluster is not red. An index that has gone (deleted,
    /// or a cluster restored empty) is set up again here, so the service recovers by itself.
    func check() async throws {
        guard isSetUp.load(ordering: .acquiring) else { throw IndexNotReady(index: index) }
        if try await !client.indexExists(index) {
            logger.warning("elasticsearch: index is gone, creating it again", metadata: ["index": "\(index)"])
            try await setUp()
        }
        let health = try await client.clusterHealth()
        guard health.status != "red" else { throw IndexNotReady(index: index, status: health.status) }
    }

    struct ConflictingMappingError: Error, CustomStringConvertible {
        let index: String
        let conflicts: [String]
        var description: String {
            "Elasticsearch index \"\(index)\" has a conflicting mapping (\(conflicts.joined(separator: "; "))): "
                + "reindex it into Petrel's mapping, or point ELASTICSEARCH_INDEX at a new index"
        }
    }

    struct IndexNotReady: Error, CustomStringConvertible {
        let index: String
        var status: String?
        var description: String {
            status.map { "the cluster is \($0)" } ?? "index \(index) is not set up yet"
        }
    }
}
