public import NIOCore

/// Writes commands in RESP2: an array of bulk strings, the only form Redis accepts from clients.
public enum RESPEncoder {
    public static func encode(command arguments: [String], into buffer: inout ByteBuffer) {
        buffer.writeStaticString("*")
        buffer.writeString(String(arguments.count))
        buffer.writeStaticString("\r\n")
        for argument in arguments {
            buffer.writeStaticString("$")
            buffer.writeString(String(argument.utf8.count))
            buffer.writeStaticString("\r\n")
            buffer.writeString(argument)
            buffer.writeStaticString("\r\n")
        }
    }

    /// Writes any RESP value (servers' side of the protocol; used to test the decoder).
    public static func encode(_ value: RESPValue, into buffer: inout ByteBuffer) {
        switch value {
        case .simpleString(let string):
            buffer.writeString("+\(string)\r\n")
        case .error(let message):
            buffer.writeString("-\(message)\r\n")
        case .integer(let integer):
            buffer.writeString(":\(integer)\r\n")
        case .bulkString(nil):
            buffer.writeStaticString("$-1\r\n")
        case .bulkString(var bytes?):
            buffer.writeString("$\(bytes.readableBytes)\r\n")
            buffer.writeBuffer(&bytes)
            buffer.writeStaticString("\r\n")
        case .array(nil):
            buffer.writeStaticString("*-1\r\n")
        case .array(let elements?):
            buffer.writeString("*\(elements.count)\r\n")
            for element in elements { encode(element, into: &buffer) }
        }
    }
}
