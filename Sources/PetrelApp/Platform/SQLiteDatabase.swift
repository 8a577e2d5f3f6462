import Foundation
import GRDB
import Logging
import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The embedded SQLite database under `DATA_DIR`: WAL mode, so readers never wait for the
/// writer, and a busy timeout, so several processes can share one file. Migrations run at start;
/// the database closes at shutdown.
///
/// The file is watched: a process keeps writing into a file deleted or replaced under it, and
/// SQLite's cache hides a file overwritten in place. The readiness check and every write
/// (`write`) look at the file on disk, so such writes are refused (503), never acknowledged.
final class SQLiteDatabase: Service, DependencyCheck {
    let pool: DatabasePool
    let logger: Logger
    let path: String
    /// Device and inode of the file this process opened.
    private let opened: FileNode
    /// The same for its `-wal`, once seen: it holds the commits not yet checkpointed.
    private let openedWAL = Mutex<FileNode?>(nil)
    /// What the last integrity scan found wrong, if anything.
    private let damage = Mutex<String?>(nil)
    /// `quick_check` reads the whole file, so it runs in the background this often, not in the
    /// readiness check (which must finish within the check interval, whatever the file's size).
    let integrityScanInterval: Duration
    var name: String { "sqlite" }

    struct FileNode: Equatable {
        let device: UInt64
        let inode: UInt64

        init?(path: String) {
            var info = stat()
            guard stat(path, &info) == 0 else { return nil }
            (device, inode) = (UInt64(info.st_dev), UInt64(info.st_ino))
        }
    }

    init(directory: String, logger: Logger, integrityScanInterval: Duration = .seconds(300)) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        path = directory + "/petrel.sqlite"
        do {
            pool = try Self.openMigrated(path, configuration)
        } catch let error as DatabaseError where [.SQLITE_NOTADB, .SQLITE_CORRUPT].contains(error.resultCode) {
            throw SQLiteDatabaseError("\(path) is not a usable SQLite database (\(error.message ?? "corrupt")); restore it from a backup, or move it away to start empty")
        }
        guard let opened = FileNode(path: path) else { throw SQLiteDatabaseError("\(path) vanished while it was being opened") }
        self.opened = opened
        self.integrityScanInterval = integrityScanInterval
        self.logger = logger
    }

    /// A write transaction whose result is returned only if the file it went into is still the
    /// database file, before and after.
    func write<T: Sendable>(_ updates: @Sendable (Database) throws -> T) async throws -> T {
        try verifyFile()
        let result = try await pool.write(updates)
        try verifyFile()
        return result
    }

    /// A read that is one statement. A single SELECT sees one snapshot by itself, so it runs
    /// without the transaction `DatabasePool.read` opens around a read (BEGIN and COMMIT, two more
    /// statements each time). Reads of several statements that must agree use `pool.read`.
    /// Still GRDB's async read, off the request's thread: a disk that stalls holds that read, not
    /// the threads every other request (and the probes) run on.
    func readStatement<T: Sendable>(_ read: @Sendable (Database) throws -> T) async throws -> T {
        try await pool.unsafeRead(read)
    }

    /// Throws, saying what happened and what to do, when the file at `path` is no longer the one
    /// this process opened or no longer starts as a SQLite database.
    func verifyFile() throws {
        guard let current = FileNode(path: path) else {
            throw SQLiteDatabaseError("\(path) is gone (deleted?): writes are refused; restore it from a backup and restart")
        }
        guard current == opened else {
            throw SQLiteDatabaseError("\(path) was replaced by another file: writes are refused; restart to open the new file")
        }
        // SQLite keeps the -wal open (and never deletes it) while the database is open.
        let wal = FileNode(path: path + "-wal")
        let walChanged = openedWAL.withLock { seen -> Bool in
            if seen == nil { seen = wal }
            return seen != nil && wal != seen
        }
        guard !walChanged else {
            throw SQLiteDatabaseError(
                "\(path)-wal was deleted or replaced: the commits not yet checkpointed are gone with it; writes are refused; restore from a backup and restart")
        }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw SQLiteDatabaseError("cannot read \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var header = [UInt8](repeating: 0, count: 16)
        guard pread(descriptor, &header, header.count, 0) == header.count, header == Self.header else {
            throw SQLiteDatabaseError("\(path) no longer starts as a SQLite database (overwritten?): writes are refused; restore it from a backup")
        }
    }

    private static let header = Array("SQLite format 3\0".utf8)

    /// Opens and migrates the file. Processes starting together on a new file take turns: GRDB
    /// reads which migrations are applied before its migration transaction begins, so two of them
    /// would both create the tables, and the one switching a new file to WAL holds a lock the busy
    /// timeout does not cover. An advisory lock on a file next to the database orders them.
    private static func openMigrated(_ path: String, _ configuration: Configuration) throws -> DatabasePool {
        let lock = try MigrationLock(path: path + "-migration.lock")
        defer { lock.release() }
        let pool = try DatabasePool(path: path, configuration: configuration)
        // GRDB leaves WAL databases at synchronous=NORMAL, where a commit is acknowledged before
        // it reaches the disk and a power or filesystem fault can take it back. FULL syncs the WAL
        // at every commit: an acknowledged write is on disk. Only the writer writes.
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        try migrator.migrate(pool)
        return pool
    }

    /// The writer's `PRAGMA synchronous` (2 is FULL).
    func synchronousMode() throws -> Int {
        try pool.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("counters") { db in
            try db.create(table: "counters") { table in
                table.primaryKey("name", .text)
                table.column("value", .integer).notNull().defaults(to: 0)
            }
        }
        SQLiteCityStore.migrate(&migrator)
        return migrator
    }

    func run() async throws {
        await cancelWhenGracefulShutdown { [self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: integrityScanInterval)
                guard !Task.isCancelled else { return }
                await scanIntegrity()
            }
        }
        // A clean stop leaves everything in the main file and an empty WAL, so a copy of
        // petrel.sqlite alone is a complete database.
        do {
            try await pool.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
        } catch {
            logger.warning("sqlite: could not checkpoint the WAL at shutdown; it is replayed at the next start", metadata: ["error": "\(error)"])
        }
        try pool.close()
        logger.notice("sqlite: database closed")
    }

    /// The file on disk, what the last integrity scan found, and a read.
    func check() async throws {
        try verifyFile()
        if let damage = damage.withLock({ $0 }) { throw SQLiteDatabaseError(damage) }
        _ = try await pool.read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }

    /// Reads every page (`PRAGMA quick_check`), so a page that became unreadable or garbled shows
    /// in readiness, not first under a user's write. Damage stays reported until a restart.
    func scanIntegrity() async {
        let result: String
        do {
            result = try await pool.read { db in try String.fetchOne(db, sql: "PRAGMA quick_check(1)") } ?? "no answer"
        } catch {
            result = "\(error)"
        }
        guard result != "ok" else { return }
        let found = "\(path) is damaged (quick_check: \(result)); restore it from a backup"
        damage.withLock { $0 = found }
        logger.error("sqlite: integrity scan failed", metadata: ["error": "\(found)"])
    }
}

/// An exclusive `flock(2)` held while the database is opened and migrated. The kernel drops it when
/// the process exits, so a process killed while migrating never leaves it held.
private struct MigrationLock {
    private let descriptor: Int32

    init(path: String) throws {
        descriptor = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw SQLiteDatabaseError("cannot open \(path): \(String(cString: strerror(errno))); DATA_DIR must be writable")
        }
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else {
                let reason = String(cString: strerror(errno))
                close(descriptor)
                throw SQLiteDatabaseError("cannot lock \(path): \(reason)")
            }
        }
    }

    func release() {
        close(descriptor)  // closing the only descriptor releases the lock
    }
}

struct SQLiteDatabaseError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
