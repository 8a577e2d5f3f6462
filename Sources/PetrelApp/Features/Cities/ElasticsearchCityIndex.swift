import ElasticsearchClient
import Logging
import ServiceLifecycle
import Synchronization

/// Makes sure the cities index exists with Petrel's mapping before the service reports ready.
/// Elasticsearch that is not up yet is retried with backoff while the service stays unready
/// (no init container needed). An index whose mapping conflicts, or credentials the cluster
/// refuses, stop the start: waiting cannot fix either.
///
/// `ELASTICSEARCH_INDEX` names an alias; the documents live in `<alias>-v1` behind it, created
/// with the alias in one call. A write to a missing index would make Elasticsearch create it with
/// a dynamic mapping (`name` as `text`), which Petrel then has to refuse for good, so writes go
/// through the alias with `require_alias=true`: with the index gone, the alias is gone too and a
/// write fails instead. Writes are also refused (503) until the index is verified, and a missing
/// index, a lost connection (the cluster may come back empty) or a conflicting mapping withdraws
/// that until a check has set the index up again.
final class ElasticsearchCityIndex: Service, DependencyCheck {
    let client: ElasticsearchClient
    /// The alias reads and writes go through.
    let indexName: String
    /// The index behind it.
    var concreteIndex: String { indexName + "-v1" }
    let definition: IndexDefinition
    let logger: Logger
    private let verification = IndexVerification()
    /// Whether this process has seen the index ready: recreating it after that means its documents were lost.
    private let wasReady = Mutex(false)
    private let retry = RetryPolicy(maximumAttempts: .max, initialDelay: .milliseconds(200), maximumDelay: .seconds(5))
    var name: String { "elasticsearch" }

    init(client: ElasticsearchClient, index: String, shards: Int, replicas: Int, logger: Logger) {
        self.client = client
        self.indexName = index
        self.definition = IndexDefinition(shards: shards, replicas: replicas, fields: ElasticsearchCityStore.fields, aliases: [index])
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
                    let refused = RefusedCredentials(status: status, type: type)
                    logger.error("elasticsearch: cannot start", metadata: ["error": "\(refused)"])
                    throw refused
                } catch let conflict as ConflictingMapping {
                    logger.error("elasticsearch: cannot start", metadata: ["error": "\(conflict)"])
                    throw conflict
                } catch let layout as IndexWithoutAlias {
                    logger.error("elasticsearch: cannot start", metadata: ["error": "\(layout)"])
                    throw layout
                } catch {
                    guard !Task.isCancelled else { return }  // shutting down, not a failed attempt
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

    /// Creates the index and its alias when missing, then compares the mapping with ours; returns
    /// whether it was missing. One call when the index is there.
    @discardableResult
    func setUp() async throws -> Bool {
        var look = verification.beginLook()
        do {
            var found = try await client.mapping(of: indexName)
            let wasMissing = found == nil
            if wasMissing {
                look = verification.withdraw()
                // Once per loss: the flag is set again when the index is ready.
                if wasReady.withLock({ ready in defer { ready = false }; return ready }) {
                    logger.error(
                        "elasticsearch: the index is gone (deleted, or the cluster came back empty); creating it again, empty — restore the cities from a snapshot",
                        metadata: ["index": "\(concreteIndex)", "alias": "\(indexName)"])
                }
                if try await client.createIndex(concreteIndex, definition) {
                    logger.notice(
                        "elasticsearch: index created",
                        metadata: [
                            "index": "\(concreteIndex)", "alias": "\(indexName)", "shards": "\(definition.shards)",
                            "replicas": "\(definition.replicas)",
                        ])
                } else {
                    // There without its alias (removed by hand?), or another replica is creating both.
                    try await client.addAlias(indexName, to: concreteIndex)
                }
                found = try await client.mapping(of: indexName)
            }
            guard let found else { throw IndexNotReady(index: indexName, state: "missing right after it was created") }
            guard found.index != indexName else { throw IndexWithoutAlias(index: indexName) }
            let actual = found.fields
            let conflicts = definition.fields.sorted(by: { $0.key < $1.key }).compactMap { field, type -> String? in
                actual[field] == type ? nil : "\(field) is \(actual[field] ?? "missing"), Petrel needs \(type)"
            }
            guard conflicts.isEmpty else { throw ConflictingMapping(index: indexName, conflicts: conflicts) }
            wasReady.withLock { $0 = true }
            if verification.confirm(since: look) {
                logger.notice("elasticsearch: index ready", metadata: ["index": "\(indexName)"])
            }
            return wasMissing
        } catch {
            if error is ConflictingMapping || error is IndexWithoutAlias || Self.suggestsIndexIsGone(error) { verification.withdraw() }
            throw error
        }
    }

    /// Ready when the index is there with Petrel's mapping and is not red. An index that has gone
    /// (deleted, or a cluster restored empty) is set up again here, so the service recovers by
    /// itself. The health call runs beside the mapping call, so a slow but working cluster costs
    /// one round trip of the check's budget, not two; it is asked again when the index was
    /// missing, since the first one was sent before the index existed.
    func check() async throws {
        async let concurrentHealth = client.clusterHealth(index: indexName)
        let wasMissing = try await setUp()
        let health = wasMissing ? try await client.clusterHealth(index: indexName) : try await concurrentHealth
        guard health.status != "red" else { throw IndexNotReady(index: indexName, state: "red") }
    }

    /// Throws unless the index is known to be there with Petrel's mapping.
    func requireVerified() throws {
        guard verification.isVerified else {
            throw IndexNotReady(
                index: indexName,
                state: "not verified (missing, unreachable, mapped differently or not checked yet); writes resume once a readiness check verifies it")
        }
    }

    /// Withdraws the verification when a call failed in a way that suggests the index is gone.
    func noteFailure(_ error: ElasticsearchError) {
        if Self.suggestsIndexIsGone(error) { verification.withdraw() }
    }

    /// The index is missing, or the cluster could not be reached (it may come back empty).
    private static func suggestsIndexIsGone(_ error: any Error) -> Bool {
        guard let error = error as? ElasticsearchError else { return false }
        return switch error {
        case .connection: true
        default: error.isIndexNotFound
        }
    }

    struct ConflictingMapping: PublicReason {
        let index: String
        let conflicts: [String]
        var description: String {
            "Elasticsearch index \"\(index)\" has a conflicting mapping (\(conflicts.joined(separator: "; "))): "
                + "reindex it into Petrel's mapping, or point ELASTICSEARCH_INDEX at a new index"
        }
    }

    /// Earlier versions of Petrel wrote to a concrete index with the name the alias has now.
    struct IndexWithoutAlias: PublicReason {
        let index: String
        var description: String {
            "Elasticsearch index \"\(index)\" is a concrete index, but Petrel writes through an alias of that name to \"\(index)-v1\" "
                + "(so that no write can create the index): move the documents as docs/deploy.md says (\"Elasticsearch: the index behind an alias\")"
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
