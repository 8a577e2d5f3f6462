import Foundation
import Logging
@testable import PetrelApp
import Testing

@Suite("JSON log lines")
struct LogTests {
    /// Writes through the real handler and writer into a pipe, and parses what comes out.
    func lines(format: LogFormat = .json, provider: Logger.MetadataProvider? = nil, _ body: (Logger) -> Void) throws -> [String] {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("log-\(UUID().uuidString)").path
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = LogWriter(fileDescriptor: open(path, O_WRONLY | O_APPEND))
        let logger = Logger(label: "test") { _ in
            var handler = PetrelLogHandler(level: .trace, format: format, writer: writer, fixedFields: [("pod", "p-1")])
            handler.metadataProvider = provider
            return handler
        }
        body(logger)
        writer.flush()
        return try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    @Test func everyLineIsOneJSONObjectWhateverItCarries() throws {
        let nasty = "quote\" backslash\\ newline\n tab\t bell\u{07} nul\u{00} del\u{7f} emoji🐦 ünïcode"
        let output = try lines { logger in
            logger.info("\(nasty)", metadata: [nasty: .string(nasty), "n": .stringConvertible(42), "list": .array([.string(nasty)])])
            logger.error("second", metadata: ["nested": .dictionary(["k": .string(nasty)])])
        }
        #expect(output.count == 2)
        let first = try #require(try JSONSerialization.jsonObject(with: Data(output[0].utf8)) as? [String: Any])
        #expect(first["msg"] as? String == nasty)
        #expect(first[nasty] as? String == nasty)
        #expect(first["n"] as? Int == 42)
        #expect(first["pod"] as? String == "p-1")
        #expect(first["level"] as? String == "info")
        let timestamp = try #require(first["ts"] as? String)
        #expect(timestamp.count == 24 && timestamp.hasSuffix("Z"))
        let second = try #require(try JSONSerialization.jsonObject(with: Data(output[1].utf8)) as? [String: Any])
        #expect((second["nested"] as? [String: String])?["k"] == nasty)
    }

    /// One field per key, sorted: the event's own fields win over the logger's, which win over the
    /// fixed ones, which win over the metadata provider's; a logged error is the `error` field.
    @Test func eachKeyAppearsOnceAndTheNearestSourceWins() throws {
        struct Failure: Error, CustomStringConvertible { var description: String { "disk full" } }
        let provider = Logger.MetadataProvider { ["pod": "from-provider", "route": "from-provider", "trace_id": "t-1"] }
        let output = try lines(provider: provider) { logger in
            var logger = logger
            logger[metadataKey: "request_id"] = "from-logger"
            logger[metadataKey: "route"] = "from-logger"
            logger.info("one", metadata: ["route": "from-event", "pod": "from-event"])
            logger.info("two")
            logger.error("three", error: Failure(), metadata: ["error": "replaced"])
        }
        #expect(output.count == 3)
        #expect(output[0].hasSuffix(#""msg":"one","pod":"from-event","request_id":"from-logger","route":"from-event","trace_id":"t-1"}"#), "\(output[0])")
        #expect(output[1].hasSuffix(#""msg":"two","pod":"p-1","request_id":"from-logger","route":"from-logger","trace_id":"t-1"}"#), "\(output[1])")
        #expect(output[2].hasSuffix(#""msg":"three","error":"disk full","pod":"p-1","request_id":"from-logger","route":"from-logger","trace_id":"t-1"}"#), "\(output[2])")
    }

    /// Long values and their escapes come through whole.
    @Test func longLinesGrowAndComeThroughWhole() throws {
        let long = String(repeating: "0123456789\"\\\n", count: 400)
        let output = try lines { logger in logger.info("long", metadata: ["value": .string(long), "after": "end"]) }
        #expect(output.count == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(output[0].utf8)) as? [String: Any])
        #expect(object["value"] as? String == long)
        #expect(object["after"] as? String == "end")
    }

    @Test func manyConcurrentWritersNeverInterleave() async throws {
        let output = try lines { logger in
            DispatchQueue.concurrentPerform(iterations: 4000) { index in
                logger.info("line", metadata: ["index": .stringConvertible(index), "pad": .string(String(repeating: "x", count: index % 300))])
            }
        }
        #expect(output.count == 4000)
        let indexes = try output.map { line -> Int in
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            return try #require(object["index"] as? Int)
        }
        #expect(Set(indexes).count == 4000)
    }

    /// A pipe nobody reads stalls the writer's flush; lines past the 8 MiB buffer are dropped,
    /// and once output drains the next line is preceded by a notice saying how many, written in
    /// the format of that line.
    @Test(arguments: [LogFormat.json, .text])
    func aStalledOutputDropsLinesAndSaysHowMany(_ format: LogFormat) async throws {
        var descriptors: [Int32] = [0, 0]
        #expect(pipe(&descriptors) == 0)
        let writer = LogWriter(fileDescriptor: descriptors[1])
        let line = [UInt8](repeating: UInt8(ascii: "x"), count: 1023) + [UInt8(ascii: "\n")]
        // 24 MiB: more than the pipe, a flush stuck writing (up to 8 MiB) and the buffer hold.
        let sent = 24_000
        for _ in 0..<sent { writer.append(line, format: format) }

        // Blocking reads and writes, each on a thread of its own: on the cooperative pool (two
        // threads here) the test cases' blocked flushes would starve their readers.
        let reader = Task { [readEnd = descriptors[0]] in
            await withCheckedContinuation { continuation in
                DispatchQueue(label: "pipe reader").async {
                    var received: [UInt8] = []
                    var chunk = [UInt8](repeating: 0, count: 65_536)
                    while true {
                        let count = chunk.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
                        if count <= 0 { break }
                        received += chunk[..<count]
                    }
                    continuation.resume(returning: String(decoding: received, as: UTF8.self))
                }
            }
        }
        await withCheckedContinuation { continuation in
            DispatchQueue(label: "pipe writer").async {
                writer.flush()
                continuation.resume()
            }
        }
        writer.append(Array(#"{"msg":"end"}\#n"#.utf8), format: format)
        writer.flush()
        close(descriptors[1])
        let output = await reader.value.split(separator: "\n")
        close(descriptors[0])

        let kept = output.filter { $0.hasPrefix("xxx") }.count
        let notice = try #require(output.first { $0.contains("log lines dropped") }, "no drop notice")
        let dropped: Int
        switch format {
        case .json:
            let object = try #require(try JSONSerialization.jsonObject(with: Data(notice.utf8)) as? [String: Any])
            #expect(object["level"] as? String == "warning" && (object["ts"] as? String)?.count == 24, "\(notice)")
            dropped = try #require(object["dropped"] as? Int)
        case .text:
            let match = try #require(
                notice.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z warning log lines dropped: output not draining dropped=(\d+)/),
                "\(notice)")
            dropped = try #require(Int(match.1))
        }
        #expect(kept > 0 && dropped > 0)
        #expect(kept + dropped == sent, "every line is written or counted")
        #expect(output.last == #"{"msg":"end"}"#)
        #expect(output.dropLast().last == notice, "the notice comes before the next line that got through")
    }

    @Test(arguments: [
        (Duration.microseconds(12_345), 12.345), (.microseconds(5), 0.005), (.seconds(2), 2000.0), (.nanoseconds(999), 0.0),
    ])
    func durationsAreMillisecondsToTheMicrosecond(_ duration: Duration, _ expected: Double) {
        #expect(duration.milliseconds == expected)
    }

    /// Every control character, quote and backslash is escaped wherever it falls; multi-byte
    /// UTF-8 around it passes untouched.
    @Test func stringsAreEscapedWhereverTheCharacterFalls() throws {
        let specials = (0..<0x20).map { Character(Unicode.Scalar($0)!) } + ["\"", "\\", "\u{7f}"]
        for length in 1...5 {
            for offset in 0..<length {
                for special in specials {
                    var characters = Array(repeating: Character("é"), count: length)
                    characters[offset] = special
                    let value = String(characters)
                    var bytes: [UInt8] = []
                    LogLine.appendJSON(string: value, to: &bytes)
                    let output = String(decoding: bytes, as: UTF8.self)
                    let decoded = try JSONSerialization.jsonObject(with: Data(bytes), options: .fragmentsAllowed) as? String
                    #expect(decoded == value, "offset \(offset) of \(length), \(special.unicodeScalars.first!.value)")
                    #expect(!output.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7f }, "raw control character left in \(output)")
                }
            }
        }
        for clean in ["", "a", "request", "🐦 petrel ünïcode ~ }{ / ' `"] {
            var bytes: [UInt8] = []
            LogLine.appendJSON(string: clean, to: &bytes)
            #expect(String(decoding: bytes, as: UTF8.self) == "\"\(clean)\"")
        }
    }

    @Test func timestampsAreUTCWithMilliseconds() throws {
        let before = Date()
        let line = try #require(try lines { $0.info("now") }.first)
        let after = Date()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let text = try #require(object["ts"] as? String)
        let parsed = try Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)
        #expect(text.count == 24 && text.hasSuffix("Z"))
        #expect(parsed >= before.addingTimeInterval(-0.001) && parsed <= after)
        // Milliseconds zero-padded to three digits (half a millisecond past each, so no rounding decides).
        for (offset, milliseconds) in [(0.0055, ".005Z"), (0.0505, ".050Z"), (0.5005, ".500Z")] {
            let rendered = LogLine.render(format: .json, level: .info, message: "m", fields: [], at: Date(timeIntervalSince1970: 1_700_000_000 + offset))
            #expect(String(decoding: rendered, as: UTF8.self).hasPrefix(#"{"ts":"2023-11-14T22:13:20\#(milliseconds)""#))
        }
    }

    @Test func aThrottleLetsOneLineThroughPerIntervalAndCountsTheRest() async throws {
        let throttle = LogThrottle(interval: .milliseconds(200))
        var logged: [Int] = []
        for _ in 0..<100 { throttle { logged.append($0) } }
        #expect(logged == [0])
        try await Task.sleep(for: .milliseconds(250))
        throttle { logged.append($0) }
        #expect(logged == [0, 99], "the next line says how many were held back")
    }

    @Test func textFormatIsOneLinePerEventWithTheSameFields() throws {
        let output = try lines(format: .text) { logger in logger.warning("hello", metadata: ["k": "v", "n": .stringConvertible(3)]) }
        #expect(output.count == 1)
        #expect(output[0].hasSuffix(" warning hello k=v n=3 pod=p-1"), "\(output[0])")
    }
}
