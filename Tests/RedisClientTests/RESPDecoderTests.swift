import NIOCore
import NIOEmbedded
import RedisClient
import Testing

@Suite("RESP2 decoder")
struct RESPDecoderTests {
    static let samples: [RESPValue] = [
        .simpleString("OK"),
        .simpleString(""),
        .error("ERR unknown command 'FOO'"),
        .integer(0),
        .integer(-42),
        .integer(Int64.max),
        .integer(Int64.min),
        .bulkString(ByteBuffer(string: "hello")),
        .bulkString(ByteBuffer(string: "")),
        .bulkString(ByteBuffer(string: "with\r\nCRLF inside and ünïcode")),
        .bulkString(nil),
        .array([]),
        .array(nil),
        .array([.integer(1), .bulkString(nil), .array([.simpleString("nested"), .array([.error("deep")])]), .bulkString(ByteBuffer(string: "x"))]),
    ]

    static func encoded(_ values: [RESPValue]) -> ByteBuffer {
        var buffer = ByteBuffer()
        for value in values { RESPEncoder.encode(value, into: &buffer) }
        return buffer
    }

    /// Feeds `bytes` to a real channel pipeline in the given chunks and collects what comes out.
    static func decode(_ bytes: ByteBuffer, chunks: [Int]) throws -> [RESPValue] {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(RESPDecoder()))
        var rest = bytes
        for size in chunks {
            guard let chunk = rest.readSlice(length: min(size, rest.readableBytes)) else { break }
            try channel.writeInbound(chunk)
        }
        if rest.readableBytes > 0 { try channel.writeInbound(rest) }
        var values: [RESPValue] = []
        while let value = try channel.readInbound(as: RESPValue.self) { values.append(value) }
        _ = try channel.finish()
        return values
    }

    @Test func decodesEveryTypeWhole() throws {
        #expect(try Self.decode(Self.encoded(Self.samples), chunks: []) == Self.samples)
    }

    @Test func decodesWhateverTheSplit() throws {
        let bytes = Self.encoded(Self.samples)
        for split in 1..<bytes.readableBytes {
            #expect(try Self.decode(bytes, chunks: [split]) == Self.samples, "split at \(split)")
        }
        #expect(try Self.decode(bytes, chunks: Array(repeating: 1, count: bytes.readableBytes)) == Self.samples, "byte by byte")
    }

    @Test func decodesLargeBulkStrings() throws {
        let large = RESPValue.bulkString(ByteBuffer(repeating: UInt8(ascii: "z"), count: 5 << 20))
        let bytes = Self.encoded([large, .integer(7)])
        #expect(try Self.decode(bytes, chunks: Array(repeating: 65536, count: 100)) == [large, .integer(7)])
    }

    @Test(arguments: [
        "?what\r\n", ":12x\r\n", "$abc\r\n", "$-2\r\n", "$3\r\nabcde\r\n", "*-5\r\n", "+ok\rX",
        "$\(RESPDecoder.maximumBulkLength + 1)\r\n", "*\(RESPDecoder.maximumArrayLength + 1)\r\n",
        String(repeating: "*1\r\n", count: RESPDecoder.maximumDepth + 2) + ":1\r\n",
        "+" + String(repeating: "a", count: RESPDecoder.maximumLineLength + 10),
    ])
    func rejectsMalformedInput(_ input: String) {
        #expect(throws: (any Error).self) { _ = try Self.decode(ByteBuffer(string: input), chunks: []) }
    }

    @Test func incompleteInputWaits() throws {
        for partial in ["", "+OK", "+OK\r", "$5\r\nhel", "*2\r\n:1\r\n", ":1"] {
            var decoder = RESPDecoder()
            var buffer = ByteBuffer(string: partial)
            #expect(try decoder.decode(buffer: &buffer) == nil, "\(partial.debugDescription)")
            #expect(buffer.readableBytes == partial.utf8.count, "nothing consumed")
        }
    }

    @Test func encodesCommandsAsArraysOfBulkStrings() {
        var buffer = ByteBuffer()
        RESPEncoder.encode(command: ["SET", "k", "välue"], into: &buffer)
        #expect(String(buffer: buffer) == "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$6\r\nvälue\r\n")
    }
}
