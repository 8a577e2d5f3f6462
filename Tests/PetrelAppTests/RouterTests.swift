import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PetrelApp
import Testing

@Suite("Routes, through the router")
struct RouterTests {
    @Test func helloGreetsWithIdentity() async throws {
        let test = try await TestApp(["POD_NAME": "petrel-0", "NODE_NAME": "node-a", "POD_NAMESPACE": "apps"])
        try await test.app.test(.router) { client in
            try await client.execute(uri: "/hello", method: .get) { response throws in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json")
                let body = try response.json
                #expect(body["message"] as? String == "Hello from petrel")
                #expect(body["pod"] as? String == "petrel-0")
                #expect(body["node"] as? String == "node-a")
                #expect(body["namespace"] as? String == "apps")
            }
            for query in ["name=Ada%20Lovelace", "name=Ada+Lovelace", "other=1&name=Ada+Lovelace"] {
                try await client.execute(uri: "/hello?\(query)", method: .get) { response throws in
                    #expect(try response.json["message"] as? String == "Hello, Ada Lovelace!", "\(query)")
                }
            }
            try await client.execute(uri: "/hello?other=1", method: .get) { response throws in
                #expect(try response.json["message"] as? String == "Hello from petrel")
            }
        }
    }

    @Test(arguments: ["", "%3Cscript%3E", String(repeating: "a", count: 65), "%20%20", "a%0Ab", "x%22y"])
    func helloRejectsBadNames(_ name: String) async throws {
        let test = try await TestApp()
        try await test.app.test(.router) { client in
            try await client.execute(uri: "/hello?name=\(name)", method: .get) { response throws in
                #expect(response.status == .badRequest)
                #expect(try response.apiError.code == "invalid_request")
            }
        }
    }

    @Test func infoAndVersion() async throws {
        let test = try await TestApp(["APP_ENV": "staging"])
        try await test.app.test(.router) { client in
            try await client.execute(uri: "/", method: .get) { response throws in
                let body = try response.json
                #expect(body["name"] as? String == "petrel")
                #expect(body["environment"] as? String == "staging")
                #expect((body["uptime_seconds"] as? Double ?? -1) >= 0)
                for key in ["version", "pod", "node", "namespace"] { #expect(body[key] is String, "\(key)") }
            }
            try await client.execute(uri: "/version", method: .get) { response throws in
                let body = try response.json
                #expect(body["version"] as? String == BuildInfo.current.version)
                #expect(body["commit"] is String)
                #expect(body["build_date"] is String)
            }
        }
    }

    @Test(arguments: ["/healthz", "/livez", "/alive", "/health"])
    func livenessAliases(_ path: String) async throws {
        let test = try await TestApp()
        try await test.app.test(.router) { client in
            try await client.execute(uri: path, method: .get) { response throws in
                #expect(response.status == .ok)
                #expect(try response.json["status"] as? String == "UP")
            }
        }
    }

    /// Through the router alone the server never listens, so readiness truthfully says so.
    @Test(arguments: ["/readiness", "/readyz", "/ready"])
    func readinessBeforeListening(_ path: String) async throws {
        let test = try await TestApp()
        try await test.app.test(.router) { client in
            try await client.execute(uri: path, method: .get) { response throws in
                #expect(response.status == .serviceUnavailable)
                let checks = try response.json["checks"] as? [String: String]
                #expect(checks?["server"] == "not listening yet")
                #expect(try response.apiError.code == "not_ready")
            }
        }
    }

    @Test func unknownRouteIs404InErrorShape() async throws {
        let test = try await TestApp()
        try await test.app.test(.router) { client in
            try await client.execute(uri: "/no/such/thing", method: .get) { response throws in
                #expect(response.status == .notFound)
                let error = try response.apiError
                #expect(error.code == "not_found")
                #expect(error.requestID == response.headers[.requestID])
            }
        }
    }

    @Test func wrongMethodIs405WithAllow() async throws {
        let test = try await TestApp()
        try await test.app.test(.router) { client in
            try await client.execute(uri: "/hello", method: .delete) { response throws in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "GET, HEAD")
                #expect(try response.apiError.code == "method_not_allowed")
            }
            try await client.execute(uri: "/cities", method: .post) { response throws in
                #expect(response.status == .methodNotAllowed)
            }
        }
        try await test.app.admin.test(.router) { client in
            try await client.execute(uri: "/status/200", method: .put) { response throws in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "GET, HEAD")
            }
        }
    }

    /// The public edge serves only the API: what an operator or Prometheus uses is on ADMIN_PORT.
    @Test func operationsAreOnTheAdminListenerOnly() async throws {
        let test = try await TestApp(["APP_ENV": "development"])
        #expect(Set(test.app.adminRoutes) == [
            "GET /metrics", "GET /faults", "POST /faults/enable", "POST /faults/disable", "POST /readiness/disable",
            "POST /readiness/enable", "GET /status/{code}", "GET /delay/{seconds}",
        ])
        #expect(Set(test.app.routes).isDisjoint(with: test.app.adminRoutes))
        let operations: [(HTTPRequest.Method, String)] = [
            (.get, "/metrics"), (.get, "/faults"), (.post, "/faults/enable"), (.post, "/faults/disable"), (.post, "/readiness/disable"),
            (.post, "/readiness/enable"), (.get, "/status/200"), (.get, "/delay/0"),
        ]
        try await test.app.test(.router) { client in
            for (method, path) in operations {
                try await client.execute(uri: path, method: method) { #expect($0.status == .notFound, "\(method) \(path) on the public listener") }
            }
        }
        try await test.app.admin.test(.router) { client in
            for (method, path) in operations {
                // The readiness switches answer 503 here: this test never starts the server.
                try await client.execute(uri: path, method: method) { #expect($0.status != .notFound, "\(method) \(path) on the admin listener") }
            }
            for path in ["/hello", "/healthz", "/readiness", "/hits", "/cities"] {
                try await client.execute(uri: path, method: .get) { #expect($0.status == .notFound, "\(path) on the admin listener") }
            }
        }
    }

    @Test func validRequestIDIsKept() async throws {
        let test = try await TestApp()
        let id = "trace-1.2_3:abc-" + String(repeating: "x", count: 112)
        try await test.app.test(.router) { client in
            try await client.execute(uri: "/hello", method: .get, headers: [.requestID: id]) { response throws in
                #expect(response.headers[.requestID] == id)
            }
        }
    }

    @Test(arguments: ["has space", "semi;colon", String(repeating: "y", count: 129), "ünïcode", "<tag>"])
    func invalidRequestIDIsReplaced(_ id: String) async throws {
        let test = try await TestApp()
        try await test.app.test(.router) { client in
            try await client.execute(uri: "/hello", method: .get, headers: [.requestID: id]) { response throws in
                let replaced = try #require(response.headers[.requestID])
                #expect(replaced != id)
                #expect(replaced.count == 32)
            }
        }
    }

    @Test func requestIDsAreUnique() async throws {
        let test = try await TestApp()
        let seen = try await test.app.test(.router) { client in
            var seen = Set<String>()
            for _ in 0..<100 {
                seen.insert(try await client.execute(uri: "/healthz", method: .get) { $0.headers[.requestID] ?? "" })
            }
            return seen
        }
        #expect(seen.count == 100)
    }

    @Test func oversizedBodyIs413() async throws {
        let test = try await TestApp(["MAX_BODY_BYTES": "1024", "APP_ENV": "development"])
        try await test.app.admin.test(.router) { client in
            let body = ByteBuffer(repeating: UInt8(ascii: "a"), count: 2048)
            try await client.execute(uri: "/faults/enable", method: .post, body: body) { response throws in
                #expect(response.status == .contentTooLarge)
                #expect(try response.apiError.code == "payload_too_large")
            }
            try await client.execute(uri: "/faults", method: .get) { response throws in
                let settings = try response.json
                #expect(settings["enabled"] as? Bool == false, "a refused body changes nothing")
            }
        }
    }

    @Test func operatorEndpointsNeedAKeyOutsideDevelopment() async throws {
        let test = try await TestApp(["APP_ENV": "production"])
        try await test.app.admin.test(.router) { client in
            for path in ["/readiness/disable", "/readiness/enable", "/faults/enable", "/faults/disable"] {
                try await client.execute(uri: path, method: .post) { response throws in
                    #expect(response.status == .unauthorized, "\(path)")
                    #expect(response.headers[.wwwAuthenticate] == #"Bearer realm="petrel""#)
                    #expect(try response.apiError.message.contains("API_KEYS_FILE"))
                }
            }
        }
    }

    @Test func operatorCanDisableAndEnableReadiness() async throws {
        let test = try await TestApp(["APP_ENV": "development"])
        try await test.app.test(.live) { client in
            try await test.app.admin.test(.router) { admin in
                try await client.execute(uri: "/readiness", method: .get) { #expect($0.status == .ok) }
                try await admin.execute(uri: "/readiness/disable", method: .post) { #expect($0.status == .serviceUnavailable) }
                try await client.execute(uri: "/readiness", method: .get) { response throws in
                    #expect(response.status == .serviceUnavailable)
                    #expect((try response.json["checks"] as? [String: String])?["operator"]?.hasPrefix("disabled") == true)
                }
                try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok, "liveness is unaffected") }
                try await admin.execute(uri: "/readiness/enable", method: .post) { #expect($0.status == .ok) }
                try await client.execute(uri: "/readiness", method: .get) { #expect($0.status == .ok) }
            }
        }
    }

    /// Two applications, so no assertion races the clock: one far from its minimum uptime, one
    /// that reaches it.
    @Test func readinessWaitsForMinimumUptime() async throws {
        try await TestApp(["READY_MIN_UPTIME_SECONDS": "600"]).app.test(.live) { client in
            try await client.execute(uri: "/readiness", method: .get) { response throws in
                #expect(response.status == .serviceUnavailable)
                #expect((try response.json["checks"] as? [String: String])?["uptime"] != nil)
            }
        }
        try await TestApp(["READY_MIN_UPTIME_SECONDS": "0.5"]).app.test(.live) { client in
            var status = HTTPResponse.Status.serviceUnavailable
            for _ in 0..<100 where status != .ok {
                try await Task.sleep(for: .milliseconds(100))
                status = try await client.execute(uri: "/readiness", method: .get) { $0.status }
            }
            #expect(status == .ok, "ready once past READY_MIN_UPTIME_SECONDS")
        }
    }

    @Test func statusAndDelayEndpoints() async throws {
        let test = try await TestApp()
        try await test.app.admin.test(.router) { client in
            try await client.execute(uri: "/status/418", method: .get) { #expect($0.status.code == 418) }
            for bad in ["/status/99", "/status/299", "/status/600", "/status/abc", "/delay/-1", "/delay/11", "/delay/nan", "/delay/x"] {
                try await client.execute(uri: bad, method: .get) { response throws in
                    #expect(response.status == .badRequest, "\(bad)")
                    #expect(try response.apiError.code == "invalid_request")
                }
            }
            let start = ContinuousClock.now
            try await client.execute(uri: "/delay/0.2", method: .get) { #expect($0.status == .ok) }
            #expect(ContinuousClock.now - start >= .milliseconds(200))
        }
    }

    /// NIO drops Content-Length for 204 and 304; a body after them would be read as the start
    /// of the next response, so the next request on the connection is where this would fail.
    @Test func statusesWithoutABodyKeepTheConnectionInStep() async throws {
        let test = try await TestApp()
        try await test.app.admin.test(.live) { client in
            for code in [204, 304, 204] {
                try await client.execute(uri: "/status/\(code)", method: .get) { response in
                    #expect(response.status.code == code)
                    #expect(response.body.readableBytes == 0)
                }
                try await client.execute(uri: "/faults", method: .get) { response throws in
                    #expect(response.status == .ok)
                    #expect(try response.json["enabled"] as? Bool == false)
                }
            }
        }
    }

    @Test func faultInjectionMeetsItsRateAndSparesProbes() async throws {
        let test = try await TestApp(["APP_ENV": "development"])
        try await test.app.test(.router) { client in
            try await test.app.admin.test(.router) { admin in
                try await admin.execute(
                    uri: "/faults/enable", method: .post, headers: [.contentType: "application/json"],
                    body: ByteBuffer(string: #"{"error_rate":0.3}"#)
                ) { response throws in
                    let settings = try response.json
                    #expect(settings["error_rate"] as? Double == 0.3)
                }
                var failures = 0
                let requests = 2000
                for _ in 0..<requests {
                    let code = try await client.execute(uri: "/hello", method: .get) { response -> String? in
                        response.status == .internalServerError ? try response.apiError.code : nil
                    }
                    if let code {
                        failures += 1
                        #expect(code == "injected_fault")
                    }
                }
                // Binomial(2000, 0.3): standard deviation ≈ 20.5, so ±100 is about 5 sigma.
                #expect(abs(failures - 600) < 100, "\(failures) of \(requests) failed")
                for path in ["/healthz", "/readiness"] {
                    for _ in 0..<50 {
                        try await client.execute(uri: path, method: .get) { #expect($0.status != .internalServerError, "\(path)") }
                    }
                }
                for _ in 0..<50 {
                    try await admin.execute(uri: "/metrics", method: .get) { #expect($0.status == .ok, "the admin listener has no faults") }
                }
                for bad in [#"{"error_rate":1.5}"#, #"{"error_rate":"x"}"#, "not json", #"{"delay_ms":-1}"#] {
                    try await admin.execute(uri: "/faults/enable", method: .post, body: ByteBuffer(string: bad)) { response throws in
                        #expect(response.status == .badRequest, "\(bad)")
                    }
                }
                try await admin.execute(uri: "/faults/disable", method: .post) { response throws in
                    let settings = try response.json
                    #expect(settings["enabled"] as? Bool == false)
                }
                for _ in 0..<200 {
                    try await client.execute(uri: "/hello", method: .get) { #expect($0.status == .ok) }
                }
            }
        }
    }

    @Test func metricsUseRouteTemplatesAndContractNames() async throws {
        let test = try await TestApp()
        try await test.app.admin.test(.router) { client in
            for code in [201, 202, 203] {
                try await client.execute(uri: "/status/\(code)", method: .get) { _ in }
            }
            try await client.execute(uri: "/metrics", method: .get) { response throws in
                #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
                let text = String(buffer: response.body)
                for name in [
                    "http_server_request_duration_seconds_bucket", "http_server_active_requests", "petrel_build_info",
                    "petrel_ready", "petrel_uptime_seconds", "process_cpu_seconds_total", "process_resident_memory_bytes",
                    "process_open_fds", "process_max_fds", "process_start_time_seconds",
                ] {
                    #expect(text.contains("\n\(name)") || text.hasPrefix(name), "\(name) missing")
                }
                #expect(text.contains(#"route="/status/{code}",status="202""#))
                #expect(!text.contains(#"route="/status/202""#), "raw paths must never become labels")
                #expect(text.contains("# HELP http_server_request_duration_seconds "))
            }
        }
    }

    @Test func requestLinesCarryTheDesignFields() async throws {
        let test = try await TestApp(["POD_NAME": "petrel-7"])
        try await test.app.test(.router) { client in
            try await client.execute(uri: "/hello", method: .get, headers: [.requestID: "req-42"]) { _ in }
            try await client.execute(uri: "/healthz", method: .get) { _ in }
        }
        let lines = try test.logLines().filter { $0["msg"] as? String == "request" }
        let hello = try #require(lines.first { $0["path"] as? String == "/hello" })
        #expect(hello["level"] as? String == "info")
        #expect(hello["method"] as? String == "GET")
        #expect(hello["route"] as? String == "/hello")
        #expect(hello["status"] as? Int == 200)
        #expect(hello["duration_ms"] is Double)
        #expect(hello["request_id"] as? String == "req-42")
        #expect(hello["pod"] as? String == "petrel-7")
        #expect((hello["ts"] as? String)?.hasSuffix("Z") == true)
        let probe = try #require(lines.first { $0["path"] as? String == "/healthz" })
        #expect(probe["level"] as? String == "debug", "probes log at debug")
    }
}
