import GRDB

/// One row per counter, incremented by a single `UPDATE … RETURNING` in one write transaction,
/// which SQLite serialises across every process that shares the file.
struct SQLiteCounterStore: CounterStore {
    let database: SQLiteDatabase
    let name: String

    func increment() async throws -> Int64 {
        try await database.write { db in
            try db.execute(sql: "INSERT INTO counters (name, value) VALUES (?, 0) ON CONFLICT (name) DO NOTHING", arguments: [name])
            return try Int64.fetchOne(db, sql: "UPDATE counters SET value = value + 1 WHERE name = ? RETURNING value", arguments: [name]) ?? 0
        }
    }

    func current() async throws -> Int64 {
        try await database.readStatement { db in
            try Int64.fetchOne(db.cachedStatement(sql: "SELECT value FROM counters WHERE name = ?"), arguments: [name]) ?? 0
        }
    }
}
