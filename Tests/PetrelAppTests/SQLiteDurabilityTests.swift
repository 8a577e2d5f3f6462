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

    enum FileFault: String, CaseIterable {
        case deleted, replaced, overwritten, walDeleted
    }

    /// Whatever happens to the file under a running process, no write is acknowledged into it:
    /// writes answer 503 at once, and readiness turns 503 naming SQLite within a check interval.
    @Test(arguments: FileFault.allCases)
    func aDatabaseFileThatChangesUnderTheServiceRefusesWrites(_ fault: FileFault) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("petrel-fault-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let keys = try KeyFile()
        let petrel = try PetrelProcess([
            "COUNTER_STORE": "sqlite", "CITY_STORE": "sqlite", "DATA_DIR": directory.path, "API_KEYS_FILE": keys.path,
            "DEPENDENCY_CHECK_INTERVAL_SECONDS": "0.2",
        ])
        let port = try await petrel.port()
        #expect(try await CityLiveTests.put(port, "Oslo", 1, key: KeyFile.plainKey) == 201)
        #expect(try await LiveProcessTests.get(port, "/hits").status == 200)
        #expect(try await CityLiveTests.becomesReady(port))

        let file = directory.appendingPathComponent("petrel.sqlite").path
        switch fault {
        case .deleted:
            try FileManager.default.removeItem(atPath: file)
        case .replaced:
            try FileManager.default.copyItem(atPath: file, toPath: file + ".new")
            guard rename(file + ".new", file) == 0 else { throw TestFailure("rename: \(errno)") }
        case .overwritten:
            let handle = try #require(FileHandle(forWritingAtPath: file))
            try handle.write(contentsOf: Data((0..<8192).map { _ in UInt8.random(in: 0...255) }))
            try handle.close()
        case .walDeleted:
            // The commits not yet checkpointed live there: a crash would lose them, acknowledged.
            try FileManager.default.removeItem(atPath: file + "-wal")
        }

        #expect(try await CityLiveTests.put(port, "Bergen", 2, key: KeyFile.plainKey) == 503, "\(fault): no write acknowledged")
        let hit = try await LiveProcessTests.get(port, "/hits")
        #expect(hit.status == 503 && hit.body.contains("dependency_unavailable"), "\(fault): \(hit.body)")
        let unready = try await CityLiveTests.eventually(within: .seconds(3)) {
            let readiness = try await LiveProcessTests.get(port, "/readiness")
            return readiness.status == 503 && readiness.body.contains(#""sqlite":"unreachable""#)
        }
        #expect(unready != nil, "\(fault): readiness names SQLite")
        // The cause, with the path, goes to the log (readiness answers the public edge).
        let failed = try await petrel.waitForLog("dependency check failed") { ($0["reason"] as? String)?.contains(directory.path) == true }
        #expect(failed["dependency"] as? String == "sqlite")
        #expect(try await LiveProcessTests.get(port, "/healthz").status == 200, "liveness stays: a restart would not bring the data back")
        petrel.signal(SIGKILL)
    }

    /// A file that is not a database stops the start, naming it, instead of serving around it.
    @Test func aCorruptFileAtStartStopsTheStart() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("petrel-corrupt-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = directory.appendingPathComponent("petrel.sqlite").path
        try Data((0..<8192).map { _ in UInt8.random(in: 0...255) }).write(to: URL(fileURLWithPath: file))
        let petrel = try PetrelProcess(["COUNTER_STORE": "sqlite", "DATA_DIR": directory.path])
        let exit = try await petrel.waitForExit()
        #expect(exit.status != 0)
        let output = petrel.lines.joined(separator: "\n") + petrel.errorOutput
        #expect(output.contains(file) && output.contains("not a usable SQLite database"), "\(output)")
    }
}
