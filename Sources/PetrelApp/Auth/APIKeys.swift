import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import Synchronization

/// Who may write: holds the keys from `API_KEYS_FILE` and checks a request's `X-API-Key` or
/// `Authorization: Bearer` against them. As a `Service` it re-reads the file when it changes,
/// which covers a Kubernetes Secret update (the kubelet swaps a symlink, so the file's identity
/// changes even when its modification time does not; a `chmod` changes its ctime). A file that
/// cannot be read or parsed on reload keeps the previous keys, logs an error and counts in
/// `petrel_api_keys_reload_failures_total`.
final class APIKeys: Service {
    enum Mode: Equatable {
        /// Keys from a file.
        case file(String)
        /// No keys and `APP_ENV=development`: every write is allowed.
        case openForDevelopment
        /// No keys: every write is refused.
        case closed
    }

    let mode: Mode
    let logger: Logger
    let pollInterval: Duration
    private let metrics: PetrelMetrics
    private let state: Mutex<(keys: APIKeyFile, identity: FileIdentity?)>

    /// Loads the file at start. A malformed or unreadable file stops the start; a missing one does
    /// not: the service starts with writes refused and takes the keys as soon as the file appears
    /// (a Kubernetes Secret created after the install, mounted as optional).
    init(
        path: String?, environment: AppEnvironment, metrics: PetrelMetrics, logger: Logger, pollInterval: Duration = .seconds(1)
    ) throws(APIKeyFileError) {
        self.logger = logger
        self.pollInterval = pollInterval
        self.metrics = metrics
        if let path, !path.isEmpty {
            mode = .file(path)
            if FileIdentity(path: path) == nil {
                state = Mutex((try APIKeyFile(contents: ""), nil))
                logger.warning(
                    "api keys: API_KEYS_FILE does not exist yet — writes and operator endpoints are refused until it does",
                    metadata: ["file": "\(path)"])
            } else {
                let (keys, identity) = try Self.load(path)
                state = Mutex((keys, identity))
                metrics.apiKeysLoaded()
                if keys.digests.isEmpty {
                    logger.error("api keys: API_KEYS_FILE holds no key — every write and operator call is refused until one is added", metadata: ["file": "\(path)"])
                }
                logger.notice("api keys: loaded", metadata: ["file": "\(path)", "keys": "\(keys.digests.count)"])
            }
        } else {
            mode = environment == .development ? .openForDevelopment : .closed
            state = Mutex((try APIKeyFile(contents: ""), nil))
            if mode == .openForDevelopment {
                logger.warning("api keys: NONE CONFIGURED — writes and operator endpoints are OPEN to anyone (APP_ENV=development); set API_KEYS_FILE")
            } else {
                logger.notice("api keys: none configured (API_KEYS_FILE unset) — writes and operator endpoints are refused")
            }
        }
    }

    /// Throws 401 unless the request carries a valid key (or writes are open for development).
    func authorize(_ request: Request) throws(APIError) {
        switch mode {
        case .openForDevelopment:
            return
        case .closed:
            throw Self.unauthorized("no API keys are configured, so writes are refused; set API_KEYS_FILE on the service")
        case .file:
            guard state.withLock({ !$0.keys.digests.isEmpty }) else {
                throw Self.unauthorized("no API key is loaded yet, so writes are refused; put one in the service's API_KEYS_FILE")
            }
            guard let key = Self.presentedKey(request) else {
                throw Self.unauthorized("send an API key in X-API-Key or Authorization: Bearer")
            }
            guard state.withLock({ $0.keys.accepts(key) }) else {
                throw Self.unauthorized("the API key is not valid")
            }
        }
    }

    func run() async throws {
        guard case .file(let path) = mode else {
            try? await gracefulShutdown()
            return
        }
        await cancelWhenGracefulShutdown { [self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: pollInterval)
                reloadIfChanged(path)
            }
        }
    }

    func reloadIfChanged(_ path: String) {
        let current = FileIdentity(path: path)
        guard current != state.withLock({ $0.identity }) else { return }
        do {
            let (keys, identity) = try Self.load(path)
            // A file truncated and then rewritten in place is briefly empty: keep the old keys. A
            // file with only comments is a decision: it revokes every key.
            guard !keys.isBlank else { throw APIKeyFileError.empty(path: path) }
            state.withLock { $0 = (keys, identity) }
            metrics.apiKeysLoaded()
            if keys.digests.isEmpty { logger.warning("api keys: the file holds no key now — every write and operator call is refused") }
            logger.notice("api keys: reloaded", metadata: ["file": "\(path)", "keys": "\(keys.digests.count)"])
        } catch {
            // Remember the identity anyway, so a broken file is reported once, not every poll.
            state.withLock { $0.identity = current }
            metrics.apiKeysReloadFailures.increment()
            logger.error("api keys: reload failed, keeping the previous keys", metadata: ["error": "\(error)", "file": "\(path)"])
        }
    }

    private static func load(_ path: String) throws(APIKeyFileError) -> (APIKeyFile, FileIdentity?) {
        let identity = FileIdentity(path: path)
        let contents: String
        do {
            contents = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .unreadable(path: path, reason: (error as NSError).localizedDescription)
        }
        return (try APIKeyFile(contents: contents), identity)
    }

    static func presentedKey(_ request: Request) -> Substring? {
        if let key = request.headers[.apiKey], !key.isEmpty { return Substring(key) }
        guard let authorization = request.headers[.authorization] else { return nil }
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].drop(while: { $0 == " " })
        return token.isEmpty ? nil : token
    }

    private static func unauthorized(_ message: String) -> APIError {
        APIError(.unauthorized, code: "unauthorized", message, headers: [.wwwAuthenticate: #"Bearer realm="petrel""#])
    }
}

/// What identifies a file's content and access cheaply: device, inode, size, modification and
/// change time of the file the path resolves to (through symlinks). The change time moves with a
/// `chmod` or `chown` too, so a file made readable again is read again.
struct FileIdentity: Equatable, Sendable {
    let device: UInt64
    let inode: UInt64
    let size: Int64
    let modified: Int64
    let changed: Int64

    init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        #if canImport(Darwin)
        let (modification, change) = (info.st_mtimespec, info.st_ctimespec)
        #else
        let (modification, change) = (info.st_mtim, info.st_ctim)
        #endif
        modified = Int64(modification.tv_sec) * 1_000_000_000 + Int64(modification.tv_nsec)
        changed = Int64(change.tv_sec) * 1_000_000_000 + Int64(change.tv_nsec)
    }
}
