import Configuration
import Metrics
import PetrelApp
import Prometheus

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Prints to standard error (the C `stderr` global is not concurrency-safe in Swift 6), after
/// writing out any log lines still buffered.
func fail(_ message: String, status: Int32 = 2) -> Never {
    LogWriter.standardOutput.flush()
    let line = Array("petrel: \(message)\n".utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    exit(status)
}

/// Reads the configuration, runs the service until it stops, and exits with its status.
func serve() async -> Never {
    let dotEnv: EnvironmentVariablesProvider
    do {
        dotEnv = try await EnvironmentVariablesProvider(environmentFilePath: ".env", allowMissing: true)
    } catch {
        fail("cannot read ./.env: \(error); fix or remove it (every setting can come from the environment instead)")
    }
    let reader = ConfigReader(providers: [CommandLineArgumentsProvider(), EnvironmentVariablesProvider(), dotEnv])
    var app: PetrelApplication
    do {
        let configuration = try PetrelConfiguration(reader: reader)
        app = try await buildApplication(configuration: configuration)
        app.telemetryServices = try TraceExport.bootstrap(configuration, logger: app.logger).map { [$0] } ?? []
    } catch let error as ConfigurationError {
        fail("\(error)")
    } catch {
        fail("cannot start: \(error)", status: 1)
    }
    // Library metrics recorded through swift-metrics land in the same registry /metrics serves.
    MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: app.metrics.registry))
    var status: Int32 = 0
    do {
        try await app.run()
    } catch {
        app.logger.critical("stopped with an error", metadata: ["error": "\(error)"])
        status = 1
    }
    LogWriter.standardOutput.flush()
    exit(status)
}

// Only reads configuration and runs the service: everything else lives in PetrelApp.
let arguments = CommandLine.arguments.dropFirst()
if arguments.contains("--help") || arguments.contains("-h") {
    print(Setting.helpText)
    exit(0)
}
let knownFlags = Set(Setting.all.map(\.flag))
if let unknown = arguments.first(where: { $0.hasPrefix("-") && !knownFlags.contains(String($0.split(separator: "=")[0])) }) {
    fail("unknown option \(unknown); run petrel --help for the settings")
}

// A synchronous main that parks its thread, rather than an async one: Swift's async main hands
// the main thread to `dispatch_main`, which calls `pthread_exit` on it, and unwinding that
// thread's stack reads the binary's unwind tables (`.eh_frame_hdr`, `.eh_frame`) and runs
// libgcc_s's unwinder: 0.9 MiB resident for the life of the process (docs/architecture.md,
// "Memory"). Nothing Petrel runs may then wait for the main actor or the main dispatch queue,
// which nothing drains: scripts/check-service.sh rejects both in Sources.
Task.detached { await serve() }
while true { pause() }
