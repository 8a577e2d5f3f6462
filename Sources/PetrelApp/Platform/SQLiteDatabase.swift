import Foundation
import GRDB
import Logging
import ServiceLifecycle

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
final class SQLiteDatabase: Service, DependencyCheck {
    let pool: DatabasePool
    let logger: Logger
    var name: String { "sqlite" }

    init(directory: String, logger: Logger) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        pool = try Self.open(directory + "/petrel.sqlite", configuration)
        self.logger = logger
    }

    /// Opens and migrates the file. Processes starting together on a new file take turns: GRDB
    /// reads which migrations are applied before its migration transaction begins, so two of them
    /// would both create the tables, and the one switching a new file to WAL holds a lock the busy
    /// timeout does not cover. An advisory lock on a file next to the database orders them.
    private static func open(_ path: String, _ configuration: Configuration) throws -> DatabasePool {
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
        try? await gracefulShutdown()
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

    func check() async throws {
        _ = try await pool.read { db in try Int.fetchOne(db, sql: "SELECT 1") }
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
