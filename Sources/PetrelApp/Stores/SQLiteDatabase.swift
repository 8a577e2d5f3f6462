import Foundation
import GRDB
import Logging
import ServiceLifecycle

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
        pool = try Self.open(directory + "/petrel.sqlite", configuration, logger: logger)
        self.logger = logger
    }

    /// Opens and migrates the file. Another process that is creating it at the same moment holds
    /// a lock that the busy timeout does not cover (switching to WAL), so that is retried.
    private static func open(_ path: String, _ configuration: Configuration, logger: Logger) throws -> DatabasePool {
        var attempt = 0
        while true {
            do {
                let pool = try DatabasePool(path: path, configuration: configuration)
                try migrator.migrate(pool)
                return pool
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY && attempt < 50 {
                attempt += 1
                logger.info("sqlite: database busy at open, retrying", metadata: ["attempt": .stringConvertible(attempt)])
                usleep(UInt32(min(attempt, 10)) * 20_000)
            }
        }
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
        try pool.close()
        logger.notice("sqlite: database closed")
    }

    func check() async throws {
        _ = try await pool.read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }
}
