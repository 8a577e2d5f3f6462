import ElasticsearchClient
import Foundation
import Hummingbird
import HummingbirdTesting
import HummingbirdTLS
import Logging
import NIOSSL
import Testing

/// A cluster behind HTTPS whose certificate no system root signed: only the CA bundle makes it trusted.
@Suite("Elasticsearch client over TLS")
struct TLSTests {
    /// A self-signed certificate for 127.0.0.1, made by openssl, which is its own CA.
    static func makeCertificate() throws -> (certificate: String, key: String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("petrel-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let (certificate, key) = (directory.appendingPathComponent("ca.pem").path, directory.appendingPathComponent("key.pem").path)
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        openssl.arguments = [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", certificate,
        ]
        openssl.standardError = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        guard openssl.terminationStatus == 0 else { throw TLSTestError("openssl could not make a certificate") }
        return (certificate, key)
    }

    struct TLSTestError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl"), "openssl not found — apt-get install openssl"))
    func aPrivateCAIsTrustedOnlyThroughTheBundle() async throws {
        let (certificate, key) = try Self.makeCertificate()
        let router = Router()
        router.get("/_cluster/health") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: #"{"status":"green"}"#)))
        }
        let tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
        let app = Application(router: router, server: try .tls(tlsConfiguration: tls), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let url = "https://127.0.0.1:\(try #require(client.port))"
            let trusting = try ElasticsearchClient(
                configuration: ElasticsearchConfiguration(url: url, caBundlePath: certificate), logger: Logger(label: "test"))
            #expect(try await trusting.clusterHealth().status == "green")
            try await trusting.shutdown()

            let systemRootsOnly = try ElasticsearchClient(
                configuration: ElasticsearchConfiguration(url: url, requestTimeout: .milliseconds(500)), logger: Logger(label: "test"))
            await #expect { try await systemRootsOnly.clusterHealth() } throws: { error in
                guard case ElasticsearchError.connection(let reason) = error else { return false }
                return reason.lowercased().contains("certificate") || reason.contains("handshake") || reason.contains("SSL")
            }
            try await systemRootsOnly.shutdown()
        }
    }

    @Test func anUnreadableBundleIsAConfigurationError() {
        #expect(throws: ElasticsearchError.self) {
            try ElasticsearchClient(
                configuration: ElasticsearchConfiguration(url: "https://127.0.0.1:9200", caBundlePath: "/nonexistent/ca.pem"),
                logger: Logger(label: "test"))
        }
    }
}
