import Foundation
import GRDB

/// Cities in the embedded SQLite database, one row each, keyed by `CityName.key`. A write and
/// its `If-Match` check run in one transaction, which SQLite serialises across processes. The
/// row's `version` is the ETag; it comes from one sequence for all cities, so a city deleted and
/// created again never gets back an ETag a client may still hold.
struct SQLiteCityStore: CityStore {
    let database: SQLiteDatabase
    /// The row of the `counters` table that numbers city versions.
    static let versionSequence = "petrel:city-versions"

    static func migrate(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("cities") { db in
            try db.create(table: "cities") { table in
                table.primaryKey("key", .text)
                table.column("name", .text).notNull()
                table.column("population", .integer).notNull()
                    .check { $0 >= Population.range.lowerBound && $0 <= Population.range.upperBound }
                table.column("updated_at_ms", .integer).notNull()
                table.column("version", .integer).notNull()
            }
        }
    }

    func city(_ name: CityName) async throws -> City? {
        try await database.readStatement { db in try Self.fetch(db, key: name.key) }
    }

    func put(_ name: CityName, population: Int64, precondition: RequestPrecondition?) async throws -> (City, CityWriteOutcome) {
        try await database.write { db in
            let existing = try Self.fetch(db, key: name.key)
            if let precondition, !precondition.isSatisfied(by: existing) { throw StoreError.preconditionFailed }
            let now = Timestamp.milliseconds(Date())
            try db.execute(sql: "INSERT INTO counters (name, value) VALUES (?, 0) ON CONFLICT (name) DO NOTHING", arguments: [Self.versionSequence])
            guard let version = try Int64.fetchOne(
                db, sql: "UPDATE counters SET value = value + 1 WHERE name = ? RETURNING value", arguments: [Self.versionSequence])
            else { throw DatabaseError(message: "the city version sequence is missing") }
            try db.execute(
                sql: """
                    INSERT INTO cities (key, name, population, updated_at_ms, version) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (key) DO UPDATE SET name = excluded.name, population = excluded.population,
                      updated_at_ms = excluded.updated_at_ms, version = excluded.version
                    """,
                arguments: [name.key, name.display, population, now, version])
            let city = City(name: name.display, population: population, updatedAt: Timestamp.date(milliseconds: now), etag: String(version))
            return (city, existing == nil ? .created : .updated)
        }
    }

    func delete(_ name: CityName, precondition: RequestPrecondition?) async throws -> Bool {
        try await database.write { db in
            if let precondition, !precondition.isSatisfied(by: try Self.fetch(db, key: name.key)) {
                throw StoreError.preconditionFailed
            }
            try db.execute(sql: "DELETE FROM cities WHERE key = ?", arguments: [name.key])
            return db.changesCount > 0
        }
    }

    func list(prefix: String, after: String?, limit: Int) async throws -> CityPage {
        // A key range (not LIKE, which folds ASCII case and treats % and _ as wildcards) so the
        // primary key index serves both the filter and the order.
        var conditions = ["key >= ?"]
        var values = [prefix.databaseValue]
        if let after {
            conditions.append("key > ?")
            values.append(after.databaseValue)
        }
        if let upperBound = CityName.successor(ofPrefix: prefix) {
            conditions.append("key < ?")
            values.append(upperBound.databaseValue)
        }
        values.append((limit + 1).databaseValue)
        let sql = "SELECT \(Self.columns) FROM cities WHERE \(conditions.joined(separator: " AND ")) ORDER BY key LIMIT ?"
        let rows = try await database.pool.read { [values] db in
            try Row.fetchAll(db, sql: sql, arguments: StatementArguments(values)).map { (key: $0["key"] as String, city: Self.city(from: $0)) }
        }
        let page = rows.prefix(limit)
        return CityPage(cities: page.map(\.city), nextAfter: rows.count > limit ? page.last?.key : nil)
    }

    private static func fetch(_ db: Database, key: String) throws -> City? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT \(columns) FROM cities WHERE key = ?"), arguments: [key]).map(city(from:))
    }

    /// Named, not `*`: a cached statement keeps the column names it was prepared with, and a
    /// migration by another process (a rolling upgrade) could reorder the table under it.
    private static let columns = "key, name, population, updated_at_ms, version"

    private static func city(from row: Row) -> City {
        City(
            name: row["name"], population: row["population"],
            updatedAt: Timestamp.date(milliseconds: row["updated_at_ms"]), etag: String(row["version"] as Int64))
    }
}
