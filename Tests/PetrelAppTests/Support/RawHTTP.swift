import NIOCore
import NIOPosix

/// Raw bytes to a server and every byte back, for what HTTP client libraries hide: pipelined
/// requests in one write, and responses exactly as they went over the wire.
enum RawHTTP {
    struct Response {
        let statusLine: String
        /// In wire order, names as sent.
        let headers: [(name: String, value: String)]
        let body: String

        func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }
    }

    /// Writes `requests` in one go and reads until the server closes the connection (so the last
    /// request should ask for `Connection: close`), then splits what came back into responses.
    static func exchange(port: Int, _ requests: String, timeout: Duration = .seconds(10)) async throws -> [Response] {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let received = try await withThrowingTaskGroup(of: ByteBuffer?.self) { group in
            group.addTask {
                var received = ByteBuffer()
                try await channel.executeThenClose { inbound, outbound in
                    try await outbound.write(ByteBuffer(string: requests))
                    for try await chunk in inbound { received.writeImmutableBuffer(chunk) }
                }
                return received
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            let first = try await group.next()!
            group.cancelAll()
            guard let received = first else {
                channel.channel.close(promise: nil)
                throw TestFailure("the server did not close the connection within \(timeout)")
            }
            return received
        }
        return try parse(String(buffer: received))
    }

    static func parse(_ text: String) throws -> [Response] {
        var responses: [Response] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            guard let headEnd = rest.range(of: "\r\n\r\n") else { throw TestFailure("incomplete response head: \(rest)") }
            let lines = rest[..<headEnd.lowerBound].split(separator: "\r\n", omittingEmptySubsequences: false)
            let headers = lines.dropFirst().map { line in
                let colon = line.firstIndex(of: ":") ?? line.endIndex
                return (name: String(line[..<colon]), value: String(line[colon...].dropFirst().drop(while: { $0 == " " })))
            }
            let length = headers.first { $0.name.lowercased() == "content-length" }.flatMap { Int($0.value) } ?? 0
            let bodyStart = headEnd.upperBound
            let bodyEnd = rest.utf8.index(bodyStart, offsetBy: length, limitedBy: rest.endIndex) ?? rest.endIndex
            responses.append(Response(statusLine: String(lines[0]), headers: headers, body: String(rest[bodyStart..<bodyEnd])))
            rest = rest[bodyEnd...]
        }
        return responses
    }
}
