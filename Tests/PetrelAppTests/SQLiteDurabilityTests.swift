import Foundation
import Logging
import Testing

@testable import PetrelApp

/// What is on disk when a write is acknowledged, and what a clean stop leaves behind.
@Suite("SQLite durability", .serialized)
struct SQLiteDurabilityTests {
    /// GRDB's WAL default is NORMAL, which acknowledges commits before they reach the disk.
    @Test func theWriterSyncsEveryCommit() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("petrel-sync-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let database = try SQLiteDatabase(directory: directory, logger: Logger(label: "test"))
        #expect(try database.synchronousMode() == 2, "PRAGMA synchronous is FULL on the writer")
        try database.pool.close()
    }

    /// After SIGTERM the WAL is checkpointed into the main file and truncated, so copying
    /// petrel.sqlite alone copies every acknowledged write.
    @Test func aCleanStopLeavesEverythingInTheMainFile() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("petrel-checkpoint-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let petrel = try PetrelProcess(["COUNTER_STORE": "sqlite", "DATA_DIR": directory.path])
        let port = try await petrel.port()
        for _ in 0..<20 { #expect(try await LiveProcessTests.get(port, "/hits").status == 200) }
        let wal = directory.appendingPathComponent("petrel.sqlite-wal").path
        let walWhileServing = try FileManager.default.attributesOfItem(atPath: wal)[.size] as? Int ?? 0
        #expect(walWhileServing > 0, "the writes went to the WAL first")

        petrel.signal(SIGTERM)
        #expect(try await petrel.waitForExit().status == 0)
        let walAfter = (try? FileManager.default.attributesOfItem(atPath: wal)[.size] as? Int) ?? 0
        #expect(walAfter == 0, "the WAL is empty after a clean stop (was \(walWhileServing) bytes)")

        // The main file copied on its own, without its WAL, has every hit.
        let copy = directory.appendingPathComponent("copy")
        try FileManager.default.createDirectory(at: copy, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            at: directory.appendingPathComponent("petrel.sqlite"), to: copy.appendingPathComponent("petrel.sqlite"))
        let reopened = try SQLiteDatabase(directory: copy.path, logger: Logger(label: "test"))
        #expect(try await SQLiteCounterStore(database: reopened, name: "petrel:hits").current() == 20)
        try reopened.pool.close()
    }
}
