import Configuration
import Foundation
import Logging
import PetrelApp
import Testing
import TestSupport

@Suite("Configuration")
struct ConfigurationTests {
    @Test func defaultsNeedNoVariables() throws {
        let configuration = try PetrelConfiguration(environment: [:])
        #expect(configuration.httpPort == 8080)
        #expect(configuration.httpHost == "0.0.0.0")
        #expect(configuration.environment == .production)
        #expect(configuration.logFormat == .json)
        #expect(configuration.logLevel == .info)
        #expect(configuration.shutdownDrain == .seconds(5))
        #expect(configuration.shutdownTimeout == .seconds(10))
        #expect(configuration.maxBodyBytes == 65536)
        #expect(configuration.faultErrorRate == 0)
    }

    /// Each documented name is the one swift-configuration actually reads.
    @Test(arguments: Setting.all)
    func environmentNameReachesTheSetting(_ setting: Setting) throws {
        let reader = ConfigReader(provider: EnvironmentVariablesProvider(environmentVariables: [setting.environmentName: "probe"]))
        #expect(reader.string(forKey: ConfigKey(setting.key)) == "probe")
        let flags = ConfigReader(provider: CommandLineArgumentsProvider(arguments: ["petrel", setting.flag, "probe"]))
        #expect(flags.string(forKey: ConfigKey(setting.key)) == "probe")
    }

    @Test func designNamesAreSettings() {
        let names = Set(Setting.all.map(\.environmentName))
        for name in [
            "HTTP_PORT", "HTTP_HOST", "APP_ENV", "LOG_LEVEL", "LOG_FORMAT", "READY_MIN_UPTIME_SECONDS",
            "SHUTDOWN_DRAIN_SECONDS", "SHUTDOWN_TIMEOUT_SECONDS", "DATA_DIR", "MAX_BODY_BYTES",
            "POD_NAME", "NODE_NAME", "POD_NAMESPACE", "FAULT_ERROR_RATE", "FAULT_DELAY_MS",
        ] {
            #expect(names.contains(name), "\(name)")
        }
    }

    @Test(arguments: [
        ("HTTP_PORT", "abc", "a whole number from 0 to 65535"),
        ("HTTP_PORT", "70000", "a whole number from 0 to 65535"),
        ("HTTP_PORT", "-1", "a whole number from 0 to 65535"),
        ("APP_ENV", "prod", "one of development, staging, production"),
        ("LOG_LEVEL", "verbose", "one of trace, debug, info, notice, warning, error, critical"),
        ("LOG_FORMAT", "xml", "one of json, text"),
        ("SHUTDOWN_DRAIN_SECONDS", "-5", "a number of seconds from 0 to 300"),
        ("SHUTDOWN_TIMEOUT_SECONDS", "inf", "a number of seconds from 1 to 300"),
        ("SHUTDOWN_TIMEOUT_SECONDS", "0", "a number of seconds from 1 to 300"),
        ("READY_MIN_UPTIME_SECONDS", "soon", "a number of seconds from 0 to 3600"),
        ("MAX_BODY_BYTES", "0", "a whole number from 1 to 67108864"),
        ("FAULT_ERROR_RATE", "1.5", "a number from 0 to 1"),
        ("HTTP_HOST", " ", "a non-empty value"),
    ])
    func badValuesNameTheVariable(_ name: String, _ value: String, _ expected: String) {
        do {
            _ = try PetrelConfiguration(environment: [name: value])
            Issue.record("\(name)=\(value) was accepted")
        } catch {
            #expect(error.description.hasPrefix("invalid \(name)=\"\(value)\": expected \(expected)"), "\(error)")
        }
    }

    /// A CA bundle that cannot be used stops the start naming its variable, instead of leaving the
    /// pod unready (Redis) or failing with a message about the URL (Elasticsearch).
    @Test(arguments: ["REDIS_CA_FILE", "ELASTICSEARCH_CA_FILE"])
    func unusableCABundlesStopTheStart(_ name: String) throws {
        let missing = "/nonexistent/ca.pem"
        let notPEM = FileManager.default.temporaryDirectory.appendingPathComponent("petrel-not-a-ca-\(UUID().uuidString).pem").path
        try "not a certificate\n".write(toFile: notPEM, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: notPEM) }
        for (path, reason) in [(missing, "this one cannot be read"), (notPEM, "no certificate could be read from it")] {
            do {
                _ = try PetrelConfiguration(environment: [name: path])
                Issue.record("\(name)=\(path) was accepted")
            } catch {
                #expect(error.description.hasPrefix("invalid \(name)=\"\(path)\": expected a "), "\(error)")
                #expect(error.description.contains(reason), "\(error)")
            }
        }
    }

    @Test(
        .enabled(if: TestCertificate.isAvailable, "openssl not found — apt-get install openssl"),
        arguments: ["REDIS_CA_FILE", "ELASTICSEARCH_CA_FILE"])
    func aCABundleIsAccepted(_ name: String) throws {
        let certificate = try TestCertificate()
        let configuration = try PetrelConfiguration(environment: [name: certificate.certificatePath])
        let accepted = name == "REDIS_CA_FILE" ? configuration.redis.caBundlePath : configuration.elasticsearch.caBundlePath
        #expect(accepted == certificate.certificatePath)
    }

    @Test func valuesAreTrimmedAndCaseInsensitiveForChoices() throws {
        let configuration = try PetrelConfiguration(environment: ["APP_ENV": " Development ", "HTTP_PORT": " 9090", "LOG_LEVEL": "DEBUG"])
        #expect(configuration.environment == .development)
        #expect(configuration.httpPort == 9090)
        #expect(configuration.logLevel == .debug)
    }

    @Test func helpListsEverySettingWithItsDefault() {
        let help = Setting.helpText
        for setting in Setting.all {
            #expect(help.contains(setting.environmentName), "\(setting.environmentName)")
            #expect(help.contains(setting.flag))
            if let value = setting.defaultValue { #expect(help.contains("[default \(value)]")) }
        }
    }

    /// The contract's configuration table documents every setting, so the docs cannot drift.
    @Test func theContractDocumentsEverySetting() throws {
        let contract = try String(contentsOf: packageRoot.appendingPathComponent("docs/contract.md"), encoding: .utf8)
        for setting in Setting.all {
            #expect(contract.contains("`\(setting.environmentName)`"), "docs/contract.md lacks \(setting.environmentName)")
        }
    }
}

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
