import ElasticsearchClient
import Foundation
import Hummingbird
import HummingbirdTesting
import HummingbirdTLS
import Logging
import NIOSSL
import Testing
import TestSupport

/// A cluster behind HTTPS whose certificate no system root signed: only the CA bundle makes it trusted.
@Suite("Elasticsearch client over TLS")
struct TLSTests {
    @Test(.enabled(if: TestCertificate.isAvailable, "openssl not found — apt-get install openssl"))
    func aPrivateCAIsTrustedOnlyThroughTheBundle() async throws {
        let generated = try TestCertificate()
        let (certificate, key) = (generated.certificatePath, generated.keyPath)
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
