import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix

/// Concurrent HTTP clients with a fixed request budget, keeping every outcome.
struct LoadClient {
    struct Outcome: Sendable {
        let status: UInt?  // nil: the request failed before any answer
        let body: String
        let duration: Duration
    }

    static func run(
        clients: Int, requestsPerClient: Int, url: @escaping @Sendable (Int) -> String,
        headers: [(String, String)] = [], timeout: Duration = .seconds(10)
    ) async throws -> [Outcome] {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = clients
        configuration.timeout.connect = .seconds(2)
        let client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
        let outcomes = await withTaskGroup(of: [Outcome].self) { group in
            for clientIndex in 0..<clients {
                group.addTask {
                    var outcomes: [Outcome] = []
                    for requestIndex in 0..<requestsPerClient {
                        var request = HTTPClientRequest(url: url(clientIndex * requestsPerClient + requestIndex))
                        for (name, value) in headers { request.headers.add(name: name, value: value) }
                        let start = ContinuousClock.now
                        do {
                            let response = try await client.execute(request, timeout: .init(timeout))
                            let body = try await response.body.collect(upTo: 1 << 20)
                            outcomes.append(Outcome(status: response.status.code, body: String(buffer: body), duration: .now - start))
                        } catch {
                            outcomes.append(Outcome(status: nil, body: "\(error)", duration: .now - start))
                        }
                    }
                    return outcomes
                }
            }
            return await group.reduce(into: []) { $0 += $1 }
        }
        try await client.shutdown()
        return outcomes
    }
}
