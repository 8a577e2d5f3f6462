public import NIOCore

/// A RESP2 value, as Redis sends it.
public enum RESPValue: Sendable, Equatable {
    case simpleString(String)
    case error(String)
    case integer(Int64)
    /// `nil` is the null bulk string (`$-1`).
    case bulkString(ByteBuffer?)
    /// `nil` is the null array (`*-1`).
    case array([RESPValue]?)
}

extension RESPValue {
    /// The value as text: simple and bulk strings (UTF-8) and integers.
    public var string: String? {
        switch self {
        case .simpleString(let string): string
        case .bulkString(let buffer?): String(buffer: buffer)
        case .integer(let integer): String(integer)
        default: nil
        }
    }

    public var integer: Int64? {
        switch self {
        case .integer(let integer): integer
        case .bulkString(let buffer?): Int64(String(buffer: buffer))
        case .simpleString(let string): Int64(string)
        default: nil
        }
    }

    public var isNull: Bool {
        self == .bulkString(nil) || self == .array(nil)
    }
}
