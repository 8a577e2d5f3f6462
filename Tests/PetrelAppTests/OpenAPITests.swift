import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import PetrelApp

/// `openapi.yaml` is the API's contract: these tests fail when the router and the document
/// disagree on paths, methods, status codes, or the JSON of request and response bodies. Every
/// exchange below goes through the real router; its status must be documented for its operation
/// (successes explicitly, errors at least by `default`), its body must match that response's
/// schema, and every status the document lists must be produced by some exchange.
@Suite("OpenAPI document and router agree")
struct OpenAPITests {
    struct Exchange: CustomStringConvertible {
        var method: HTTPRequest.Method
        var uri: String
        var headers: HTTPFields = [:]
        var body: String?
        /// Sent to the application whose Redis and Elasticsearch cannot be reached.
        var duringOutage = false

        var description: String { "\(method) \(uri)" }
    }

    static let key: HTTPFields = [.apiKey: KeyFile.plainKey]
    static let json: HTTPFields = [.apiKey: KeyFile.plainKey, .contentType: "application/json"]

    /// Requests that between them reach every documented status of every operation.
    /// (`/status/{code}` answers 201, 204 and 3xx codes under its `2XX` and `3XX` ranges.)
    static let exchanges: [Exchange] = [
        .init(method: .get, uri: "/"), .init(method: .get, uri: "/version"), .init(method: .get, uri: "/openapi.yaml"),
        .init(method: .get, uri: "/", headers: [.accept: StatusPageTests.browserAccept]),
        .init(method: .get, uri: "/", headers: [.accept: StatusPageTests.browserAccept], duringOutage: true),
        .init(method: .get, uri: "/page.css"), .init(method: .get, uri: "/page.js"), .init(method: .get, uri: "/page.svg"),
        .init(method: .get, uri: "/metrics"),
        .init(method: .get, uri: "/hello"), .init(method: .get, uri: "/hello?name=Ada"), .init(method: .get, uri: "/hello?name=%3Cb%3E"),
        .init(method: .get, uri: "/healthz"), .init(method: .get, uri: "/livez"), .init(method: .get, uri: "/alive"),
        .init(method: .get, uri: "/health"), .init(method: .get, uri: "/readiness"), .init(method: .get, uri: "/readyz"),
        .init(method: .get, uri: "/ready"),
        .init(method: .post, uri: "/readiness/disable"), .init(method: .post, uri: "/readiness/disable", headers: key),
        .init(method: .get, uri: "/readiness"), .init(method: .get, uri: "/readyz"), .init(method: .get, uri: "/ready"),
        .init(method: .post, uri: "/readiness/enable"), .init(method: .post, uri: "/readiness/enable", headers: key),
        .init(method: .get, uri: "/readiness"), .init(method: .post, uri: "/readiness/enable", headers: key, duringOutage: true),
        .init(method: .get, uri: "/hits"), .init(method: .get, uri: "/hits", headers: [.accept: "application/json"]),
        .init(method: .head, uri: "/hits"), .init(method: .get, uri: "/hits/current"),
        .init(method: .get, uri: "/hits", duringOutage: true), .init(method: .head, uri: "/hits", duringOutage: true),
        .init(method: .get, uri: "/hits/current", duringOutage: true),
        // Cities: create, update, read, revalidate, list, conditional writes, bad input, delete.
        .init(method: .put, uri: "/cities/Oslo", headers: json, body: #"{"population": 709037}"#),
        .init(method: .put, uri: "/cities/Oslo", headers: json, body: #"{"population": 709038}"#),
        .init(method: .put, uri: "/cities/Oslo", headers: [.apiKey: KeyFile.plainKey, .ifMatch: #""stale""#], body: #"{"population": 1}"#),
        .init(method: .put, uri: "/cities/Oslo", body: #"{"population": 1}"#),
        .init(method: .put, uri: "/cities/Oslo", headers: json, body: #"{"population": -1}"#),
        .init(method: .put, uri: "/cities/Oslo", headers: json, body: #"{"population": "#),
        .init(method: .put, uri: "/cities/Oslo", headers: [.apiKey: KeyFile.plainKey, .contentType: "text/plain"], body: "1"),
        .init(method: .put, uri: "/cities/Oslo", headers: json, body: #"{"population": 1, "pad": "\#(String(repeating: "x", count: 70_000))"}"#),
        .init(method: .put, uri: "/cities/%00", headers: json, body: #"{"population": 1}"#),
        .init(method: .put, uri: "/cities/Oslo", headers: json, body: #"{"population": 1}"#, duringOutage: true),
        .init(method: .post, uri: "/city", headers: json, body: #"{"name": "Bergen", "population": 285911}"#),
        .init(method: .post, uri: "/city", headers: json, body: #"{"name": "Bergen", "population": 285912}"#),
        .init(method: .post, uri: "/city", headers: [.apiKey: KeyFile.plainKey, .ifMatch: #""stale""#], body: #"{"name": "Bergen", "population": 1}"#),
        .init(method: .post, uri: "/city", body: #"{"name": "Bergen", "population": 1}"#),
        .init(method: .post, uri: "/city", headers: json, body: #"{"name": 7, "population": 1}"#),
        .init(method: .post, uri: "/city", headers: json, body: "[]"),
        .init(method: .post, uri: "/city", headers: [.apiKey: KeyFile.plainKey, .contentType: "text/csv"], body: "Bergen,1"),
        .init(method: .post, uri: "/city", headers: json, body: #"{"name": "Bergen", "pad": "\#(String(repeating: "x", count: 70_000))"}"#),
        .init(method: .post, uri: "/city", headers: json, body: #"{"name": "Bergen", "population": 1}"#, duringOutage: true),
        .init(method: .get, uri: "/cities/Oslo"), .init(method: .get, uri: "/cities/Nowhere"), .init(method: .get, uri: "/cities/%00"),
        .init(method: .get, uri: "/cities/Oslo", headers: [.ifNoneMatch: "*"]),
        .init(method: .get, uri: "/cities/Oslo", headers: [.ifMatch: #""stale""#]),
        .init(method: .put, uri: "/cities/Oslo", headers: [.apiKey: KeyFile.plainKey, .ifNoneMatch: "*"], body: #"{"population": 1}"#),
        .init(method: .get, uri: "/cities/Oslo", duringOutage: true),
        .init(method: .get, uri: "/city/Bergen"), .init(method: .get, uri: "/city/Nowhere"), .init(method: .get, uri: "/city/%00"),
        .init(method: .get, uri: "/city/Bergen", headers: [.ifNoneMatch: "*"]),
        .init(method: .get, uri: "/city/Bergen", headers: [.ifMatch: #""stale""#]),
        .init(method: .get, uri: "/city/Bergen", duringOutage: true),
        .init(method: .get, uri: "/cities"), .init(method: .get, uri: "/cities?limit=1"), .init(method: .get, uri: "/cities?limit=0"),
        .init(method: .get, uri: "/cities", duringOutage: true),
        .init(method: .delete, uri: "/cities/Oslo", headers: [.apiKey: KeyFile.plainKey, .ifMatch: #""stale""#]),
        .init(method: .delete, uri: "/cities/Oslo"), .init(method: .delete, uri: "/cities/%00", headers: key),
        .init(method: .delete, uri: "/cities/Oslo", headers: key), .init(method: .delete, uri: "/cities/Oslo", headers: key),
        .init(method: .delete, uri: "/cities/Oslo", headers: key, duringOutage: true),
        // Faults.
        .init(method: .get, uri: "/status/201"), .init(method: .get, uri: "/status/204"), .init(method: .get, uri: "/status/308"),
        .init(method: .get, uri: "/status/503"),
        .init(method: .get, uri: "/status/299"), .init(method: .get, uri: "/delay/0"), .init(method: .get, uri: "/delay/11"),
        .init(method: .get, uri: "/faults"), .init(method: .post, uri: "/faults/enable"),
        .init(method: .post, uri: "/faults/enable", headers: json, body: #"{"error_rate": 2}"#),
        .init(method: .post, uri: "/faults/enable", headers: json, body: #"{"error_rate": 0, "delay_ms": 0}"#),
        .init(method: .post, uri: "/faults/disable"), .init(method: .post, uri: "/faults/disable", headers: key),
    ]

    /// The document as the service serves it.
    static func document(_ test: TestApp) async throws -> JSONValue {
        let text = try await test.app.test(.router) { client in
            try await client.execute(uri: "/openapi.yaml", method: .get) { String(buffer: $0.body) }
        }
        return try JSONValue.yaml(text)
    }

    /// Whether the document puts a path on the admin listener (a path-level `servers` entry naming it).
    static func isAdmin(_ item: JSONValue) -> Bool {
        item["servers"]?.array?.contains { $0["description"]?.string?.contains("ADMIN_PORT") == true } == true
    }

    /// Path template and operation for a request path, `nil` when the document has none.
    static func operation(_ document: JSONValue, _ method: HTTPRequest.Method, _ path: String) -> (String, JSONValue)? {
        let validator = JSONSchemaValidator(document: document)
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        for (template, item) in document["paths"]?.object ?? [:] {
            let parts = template.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == segments.count,
                zip(parts, segments).allSatisfy({ $0.hasPrefix("{") || $0 == $1 })
            else { continue }
            let resolved = item["$ref"]?.string.flatMap(validator.resolve) ?? item
            if let operation = resolved[method.rawValue.lowercased()] { return (template, operation) }
        }
        return nil
    }

    @Test func everyRouteIsDocumentedAndEveryOperationServed() async throws {
        let test = try await TestApp()
        let document = try await Self.document(test)
        var documented = Set<String>(), documentedAdmin = Set<String>()
        for (path, item) in try #require(document["paths"]?.object) {
            let resolved = item["$ref"]?.string.flatMap(JSONSchemaValidator(document: document).resolve) ?? item
            for method in resolved.object?.keys ?? [:].keys where ["get", "head", "put", "post", "delete", "patch"].contains(method) {
                if Self.isAdmin(resolved) {
                    documentedAdmin.insert("\(method.uppercased()) \(path)")
                } else {
                    documented.insert("\(method.uppercased()) \(path)")
                }
            }
        }
        for (listener, documented, served) in [("public", documented, Set(test.app.routes)), ("admin", documentedAdmin, Set(test.app.adminRoutes))] {
            #expect(!documented.isEmpty)
            #expect(served.subtracting(documented).isEmpty, "\(listener): served but not documented: \(served.subtracting(documented))")
            #expect(documented.subtracting(served).isEmpty, "\(listener): documented but not served: \(documented.subtracting(served))")
        }
    }

    @Test func answersMatchTheDocumentAndCoverEveryDocumentedStatus() async throws {
        let keys = try KeyFile()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("petrel-openapi-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let test = try await TestApp(["API_KEYS_FILE": keys.path, "CITY_STORE": "sqlite", "COUNTER_STORE": "sqlite", "DATA_DIR": directory])
        // Nothing listens on port 1: every backend call fails as in an outage.
        let outage = try await TestApp([
            "API_KEYS_FILE": keys.path, "COUNTER_STORE": "redis", "REDIS_URL": "redis://127.0.0.1:1/0", "REDIS_TIMEOUT_MS": "200",
            "CITY_STORE": "elasticsearch", "ELASTICSEARCH_URL": "http://127.0.0.1:1", "ELASTICSEARCH_TIMEOUT_MS": "200",
        ])
        // From an application of its own: a test run stops an application's services (SQLite).
        let document = try await Self.document(try await TestApp())
        let validator = JSONSchemaValidator(document: document)

        /// Returns the operation and status it produced, as `GET /cities/{name} 200`.
        @Sendable func check(_ exchange: Exchange, public: some TestClientProtocol, admin: some TestClientProtocol) async throws -> String {
            let path = String(exchange.uri.split(separator: "?", maxSplits: 1)[0])
            let (template, operation) = try #require(Self.operation(document, exchange.method, path), "\(exchange) is not documented")
            let onAdmin = Self.isAdmin(try #require(document["paths"]?[template]))
            if let body = exchange.body, body.contains("709037") || body.contains("285911") {
                // The requests meant to succeed send bodies the document allows.
                let schema = try #require(operation["requestBody"]?["content"]?["application/json"]?["schema"], "\(exchange): no request schema")
                let problems = validator.problems(try JSONValue.json(Data(body.utf8)), schema)
                #expect(problems.isEmpty, "\(exchange): the request body breaks the document: \(problems)")
            }
            let answer = { @Sendable (response: TestResponse) throws -> String in
                let code = String(response.status.code)
                let responses = try #require(operation["responses"]?.object, "\(template) has no responses")
                // The exact code, else its range ("2XX"), else `default` for an error.
                let range = "\(response.status.code / 100)XX"
                let key = responses[code] != nil ? code : responses[range] != nil ? range : response.status.code >= 400 ? "default" : nil
                let answer = try #require(key.flatMap { responses[$0] }, "\(exchange) answered \(code), which \(template) does not document")
                let produced = "\(exchange.method) \(template) \(key!)"
                let resolved = answer["$ref"]?.string.flatMap(validator.resolve) ?? answer
                guard exchange.method != .head, response.status != .noContent, response.status != .notModified else {
                    #expect(response.body.readableBytes == 0, "\(exchange): \(code) has a body")
                    return produced
                }
                let mediaType = (response.headers[.contentType] ?? "").split(separator: ";")[0].trimmingCharacters(in: .whitespaces)
                let content = try #require(resolved["content"]?[mediaType], "\(exchange): \(mediaType) is not documented for \(code)")
                guard mediaType == "application/json" else { return produced }
                let schema = try #require(content["schema"], "\(exchange): no schema for \(code)")
                let problems = validator.problems(try JSONValue.json(Data(buffer: response.body)), schema)
                #expect(problems.isEmpty, "\(exchange) → \(code): \(problems)")
                return produced
            }
            let body = exchange.body.map { ByteBuffer(string: $0) }
            return onAdmin
                ? try await admin.execute(uri: exchange.uri, method: exchange.method, headers: exchange.headers, body: body, testCallback: answer)
                : try await `public`.execute(uri: exchange.uri, method: exchange.method, headers: exchange.headers, body: body, testCallback: answer)
        }

        // Live, so readiness can pass and the backends' clients start and stop as in production;
        // through AsyncHTTPClient, which opens a new connection after a `Connection: close` answer
        // (401 and 413 before the body is read). The outage first, so its Elasticsearch client is
        // shut down whatever happens later.
        let duringOutage = try await outage.app.test(.ahc(.http)) { client in
            try await outage.app.admin.test(.ahc(.http)) { admin in
                var produced: [String] = []
                for exchange in Self.exchanges where exchange.duringOutage { produced.append(try await check(exchange, public: client, admin: admin)) }
                return produced
            }
        }
        let live = try await test.app.test(.ahc(.http)) { client in
            try await test.app.admin.test(.ahc(.http)) { admin in
                for _ in 0..<50 {
                    let status = try await client.execute(uri: "/readiness", method: .get) { $0.status }
                    if status == .ok { break }
                    try await Task.sleep(for: .milliseconds(100))
                }
                var produced: [String] = []
                for exchange in Self.exchanges where !exchange.duringOutage { produced.append(try await check(exchange, public: client, admin: admin)) }
                return produced
            }
        }
        let produced = Set(live + duringOutage)

        for (path, item) in try #require(document["paths"]?.object) {
            let resolved = item["$ref"]?.string.flatMap(validator.resolve) ?? item
            for (method, operation) in resolved.object ?? [:] {
                for code in operation["responses"]?.object?.keys ?? [:].keys where code != "default" {
                    #expect(produced.contains("\(method.uppercased()) \(path) \(code)"), "no exchange produces \(code) for \(method.uppercased()) \(path)")
                }
            }
        }
    }

    @Test func statusCodesAreTheOnesFaultRoutesServe() async throws {
        let document = try await Self.document(try await TestApp())
        let parameter = try #require(document["paths"]?["/status/{code}"]?["get"]?["parameters"]?.array?.first)
        let codes = try #require(parameter["schema"]?["enum"]?.array).compactMap { value -> Int? in
            if case .number(let number) = value { Int(number) } else { nil }
        }
        #expect(Set(codes) == FaultRoutes.statusCodes)
    }
}
