import AsyncHTTPClient
import ElasticsearchClient
import Foundation
import Logging

// What one GET of a document costs the client side alone, as the benchmark's floor for
// `GET /cities/{name}` on the search server: AsyncHTTPClient's request and collected body, then
// `ElasticsearchClient.document` (the same plus its URL, headers and JSON decoding). 64 tasks
// for 5 s each way; prints req/s and this process's CPU time per request.
//
//   SearchClientCost http://127.0.0.1:9200 cities lisbon

struct City: Decodable, Sendable {
    let name: String
    let population: Int64
}

func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    let (user, system) = (usage.ru_utime, usage.ru_stime)
    return Double(user.tv_sec + system.tv_sec) + Double(user.tv_usec + system.tv_usec) / 1e6
}

let seconds = 5

/// Runs `call` from `concurrency` tasks for `seconds`; returns the calls made.
func load(concurrency: Int = 64, _ call: @escaping @Sendable () async throws -> Void) async throws -> Int {
    let end = ContinuousClock.now + .seconds(seconds)
    return try await withThrowingTaskGroup(of: Int.self) { group in
        for _ in 0..<concurrency {
            group.addTask {
                var calls = 0
                while ContinuousClock.now < end {
                    try await call()
                    calls += 1
                }
                return calls
            }
        }
        var total = 0
        for try await calls in group { total += calls }
        return total
    }
}

let arguments = CommandLine.arguments
guard arguments.count == 4 else {
    print("usage: SearchClientCost URL INDEX ID")
    exit(2)
}
let (url, index, id) = (arguments[1], arguments[2], arguments[3])
// The same pool size and settings as Petrel's client (ElasticsearchConfiguration's defaults).
let configuration = try ElasticsearchConfiguration(url: url)
var httpConfiguration = HTTPClient.Configuration()
httpConfiguration.connectionPool = .init(
    idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: configuration.maximumConnections)
httpConfiguration.tracing.tracer = nil
let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: httpConfiguration)
let search = try ElasticsearchClient(configuration: configuration, logger: Logger(label: "search"))

let measurements: [(String, @Sendable () async throws -> Void)] = [
    ("AsyncHTTPClient GET", {
        var request = HTTPClientRequest(url: "\(url)/\(index)/_doc/\(id)")
        request.headers.add(name: "Accept", value: "application/json")
        let response = try await http.execute(request, timeout: .seconds(2))
        _ = try await response.body.collect(upTo: 1 << 20)
    }),
    ("ElasticsearchClient.document", {
        guard try await search.document(City.self, index: index, id: id) != nil else { throw ElasticsearchError.timeout }
    }),
]
for (name, call) in measurements {
    let before = cpuSeconds()
    let calls = try await load(call)
    let used = cpuSeconds() - before
    print(String(format: "%@: %d req/s, %.1f us CPU per request", name, calls / seconds, used * 1e6 / Double(calls)))
}
try await http.shutdown().get()
// The search client's own pool closes with the process.
exit(0)
