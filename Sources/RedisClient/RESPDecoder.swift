public import NIOCore

/// An incremental RESP2 decoder: returns `nil` until a whole value has arrived (so input may be
/// split anywhere), and throws `RESPProtocolError` on anything that is not RESP2 — the connection
/// is then unusable and is closed. Limits bound what a broken or hostile peer can make us allocate.
public struct RESPDecoder: NIOSingleStepByteToMessageDecoder {
    public typealias InboundOut = RESPValue

    public static let maximumBulkLength = 64 << 20
    public static let maximumArrayLength = 1 << 20
    public static let maximumDepth = 32
    /// A simple string, error or integer line longer than this is not RESP from a sane server.
    public static let maximumLineLength = 64 << 10

    public init() {}

    public mutating func decode(buffer: inout ByteBuffer) throws -> RESPValue? {
        var view = buffer
        guard let value = try Self.parse(&view, depth: 0) else { return nil }
        buffer = view
        return value
    }

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> RESPValue? {
        try decode(buffer: &buffer)
    }

    /// Parses one value from the front of `buffer`, consuming it; `nil` (and `buffer` in an
    /// unspecified position) when the value is incomplete.
    static func parse(_ buffer: inout ByteBuffer, depth: Int) throws -> RESPValue? {
        guard depth <= maximumDepth else { throw RESPProtocolError("nesting deeper than \(maximumDepth)") }
        guard let marker = buffer.readInteger(as: UInt8.self) else { return nil }
        guard let line = try readLine(&buffer) else { return nil }
        switch marker {
        case UInt8(ascii: "+"):
            return .simpleString(line)
        case UInt8(ascii: "-"):
            return .error(line)
        case UInt8(ascii: ":"):
            guard let integer = Int64(line) else { throw RESPProtocolError("integer expected, got \(line.prefix(32))") }
            return .integer(integer)
        case UInt8(ascii: "$"):
            let length = try length(line, maximum: maximumBulkLength)
            guard length >= 0 else { return .bulkString(nil) }
            guard buffer.readableBytes >= length + 2 else { return nil }
            let bytes = buffer.readSlice(length: length)!
            guard buffer.readInteger(as: UInt16.self) == 0x0D0A else { throw RESPProtocolError("bulk string not followed by CRLF") }
            return .bulkString(bytes)
        case UInt8(ascii: "*"):
            let count = try length(line, maximum: maximumArrayLength)
            guard count >= 0 else { return .array(nil) }
            var elements: [RESPValue] = []
            elements.reserveCapacity(min(count, 1024))
            for _ in 0..<count {
                guard let element = try parse(&buffer, depth: depth + 1) else { return nil }
                elements.append(element)
            }
            return .array(elements)
        default:
            throw RESPProtocolError("unknown type byte 0x\(String(marker, radix: 16))")
        }
    }

    private static func readLine(_ buffer: inout ByteBuffer) throws -> String? {
        let readable = buffer.readableBytesView
        guard let carriageReturn = readable.prefix(maximumLineLength + 1).firstIndex(of: UInt8(ascii: "\r")) else {
            if readable.count > maximumLineLength { throw RESPProtocolError("line longer than \(maximumLineLength) bytes") }
            return nil
        }
        let length = carriageReturn - readable.startIndex
        guard buffer.readableBytes >= length + 2 else { return nil }
        let line = buffer.readString(length: length)!
        guard buffer.readInteger(as: UInt16.self) == 0x0D0A else { throw RESPProtocolError("CR not followed by LF") }
        return line
    }

    private static func length(_ line: String, maximum: Int) throws -> Int {
        guard let length = Int(line), length >= -1 else { throw RESPProtocolError("length expected, got \(line.prefix(32))") }
        guard length <= maximum else { throw RESPProtocolError("length \(length) is over the limit of \(maximum)") }
        return length
    }
}

/// The peer sent something that is not RESP2.
public struct RESPProtocolError: Error, CustomStringConvertible, Equatable {
    public let description: String
    init(_ description: String) { self.description = "RESP protocol error: \(description)" }
}
