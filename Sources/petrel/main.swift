import Configuration
import PetrelApp

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Prints to standard error (the C `stderr` global is not concurrency-safe in Swift 6), after
/// writing out any log lines still buffered, and exits.
func fail(_ message: String, status: Int32 = 2) -> Never {
    LogWriter.standardOutput.flush()
    let line = Array("petrel: \(message)\n".utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    exit(status)
}

// Reads the configuration, builds the application and runs it until it stops; everything else
// lives in PetrelApp. Bad configuration exits 2, a failed start 1.
let arguments = CommandLine.arguments.dropFirst()
if arguments.contains("--help") || arguments.contains("-h") {
    print(Setting.helpText)
    exit(0)
}
let knownFlags = Set(Setting.all.map(\.flag))
if let unknown = arguments.first(where: { $0.hasPrefix("-") && !knownFlags.contains(String($0.split(separator: "=")[0])) }) {
    fail("unknown option \(unknown); run petrel --help for the settings")
}

let dotEnv: EnvironmentVariablesProvider
do {
    dotEnv = try await EnvironmentVariablesProvider(environmentFilePath: ".env", allowMissing: true)
} catch {
    fail("cannot read ./.env: \(error); fix or remove it (every setting can come from the environment instead)")
}
let reader = ConfigReader(providers: [CommandLineArgumentsProvider(), EnvironmentVariablesProvider(), dotEnv])
let app: PetrelApplication
do {
    app = try await buildApplication(reader: reader)
} catch let error as ConfigurationError {
    fail("\(error)")
} catch {
    fail("cannot start: \(error)", status: 1)
}
do {
    try await app.run()
} catch {
    app.logger.critical("stopped with an error", metadata: ["error": "\(error)"])
    LogWriter.standardOutput.flush()
    exit(1)
}
LogWriter.standardOutput.flush()
exit(0)
