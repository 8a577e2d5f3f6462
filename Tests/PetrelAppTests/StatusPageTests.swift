import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import PetrelApp

@Suite("The status page at / for a browser")
struct StatusPageTests {
    /// What Chromium sends for a page.
    static let browserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"

    @Test(arguments: [
        (nil, "application/json"), ("*/*", "application/json"), ("application/json", "application/json"),
        ("application/*", "application/json"), ("image/png", "application/json"), ("text/html;q=0.5, application/json", "application/json"),
        ("text/html;q=bad", "application/json"), (browserAccept, "text/html"), ("text/html", "text/html"), ("TEXT/HTML", "text/html"),
        ("text/*", "text/html"), ("application/json;q=0.1, text/html", "text/html"), ("*/*;q=0.1, text/html;q=0.2", "text/html"),
    ] as [(String?, String)])
    func browsersGetThePageAndAPIClientsTheJSON(accept: String?, expected: String) async throws {
        let test = try await TestApp()
        try await test.app.test(.router) { client in
            let headers: HTTPFields = accept.map { [.accept: $0] } ?? [:]
            try await client.execute(uri: "/", method: .get, headers: headers) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix(expected) == true, "Accept: \(accept ?? "none")")
                #expect(response.headers[.vary] == "Accept")
                #expect(response.headers[.cacheControl] == "no-store")
            }
        }
    }

    @Test func showsWhatTheJSONEndpointsSay() async throws {
        let test = try await TestApp([
            "POD_NAME": "petrel-7d9f", "NODE_NAME": "node-<b>", "POD_NAMESPACE": "apps", "APP_ENV": "staging",
            "API_KEYS_FILE": try KeyFile().path,
        ])
        try await test.app.test(.router) { client in
            for (name, population) in [("Oslo", 709_037), ("<b>Bold & \"Quoted\"</b>", 8_336_817)] {
                let path = "/cities/" + CityRoutes.pathSegment(name)
                try await client.execute(
                    uri: path, method: .put, headers: [.apiKey: KeyFile.plainKey, .contentType: "application/json"],
                    body: ByteBuffer(string: #"{"population": \#(population)}"#)
                ) { #expect($0.status == .created) }
            }
            for _ in 0..<3 { try await client.execute(uri: "/hits", method: .get) { #expect($0.status == .ok) } }

            try await client.execute(uri: "/", method: .get, headers: [.accept: Self.browserAccept]) { response in
                let csp = try #require(response.headers[.contentSecurityPolicy])
                #expect(csp.contains("default-src 'none'") && csp.contains("script-src 'self'") && !csp.contains("unsafe"))
                #expect(response.headers[.xContentTypeOptions] == "nosniff")
                let html = String(buffer: response.body)
                #expect(html.contains(#"<dd id="pod">petrel-7d9f</dd>"#))
                #expect(html.contains(#"<dd id="node">node-&lt;b&gt;</dd>"#))
                #expect(html.contains(#"<span id="environment">staging</span>"#))
                #expect(html.contains(#"<span id="version">\#(BuildInfo.current.version)</span>"#))
                #expect(html.contains(#"<output id="hits" data-count="3">3</output>"#))
                #expect(html.contains(#"<tr data-city="Oslo" data-population="709037"><th>Oslo</th><td>709,037</td></tr>"#))
                #expect(html.contains("&lt;b&gt;Bold &amp; &quot;Quoted&quot;&lt;/b&gt;"))
                #expect(!html.contains("<b>Bold"), "a city name must never become markup")
                // Not ready: the router test never starts the server, and the page says which gate holds it.
                #expect(html.contains(#"<span id="readiness-status" class="failing">NOT_READY</span>"#))
                #expect(html.contains(#"<tr data-check="server" class="failing"><th>server</th><td>not listening yet</td></tr>"#))
                #expect(html.contains(#"<tr data-check="operator" class="ok"><th>operator</th><td>ok</td></tr>"#))
            }
        }
    }

    @Test func everyAssetThePageUsesIsServedFromThisOrigin() async throws {
        let test = try await TestApp()
        try await test.app.test(.router) { client in
            let html = try await client.execute(uri: "/", method: .get, headers: [.accept: "text/html"]) { String(buffer: $0.body) }
            // What a browser loads by itself: stylesheet, script, icon (links are followed only on a click).
            let references = html.matches(of: /<(?:link rel="stylesheet" href|link rel="icon" type="image\/svg\+xml" href|script src)="([^"]+)"/).map { String($0.output.1) }
            #expect(Set(references) == [PageAssets.stylesheetPath, PageAssets.scriptPath, PageAssets.iconPath])
            for reference in references {
                #expect(reference.hasPrefix("/") && !reference.hasPrefix("//"), "\(reference) is not on this origin")
                try await client.execute(uri: reference, method: .get) { response in
                    #expect(response.status == .ok, "\(reference)")
                    #expect(response.body.readableBytes > 0, "\(reference)")
                }
            }
            try await client.execute(uri: "/page.js", method: .get) { #expect($0.headers[.contentType] == "text/javascript; charset=utf-8") }
            try await client.execute(uri: "/page.css", method: .get) { #expect($0.headers[.contentType] == "text/css; charset=utf-8") }
        }
    }

    @Test func aBackendOutageIsShownNotFailed() async throws {
        let test = try await TestApp([
            "COUNTER_STORE": "redis", "REDIS_URL": "redis://127.0.0.1:1/0", "CITY_STORE": "elasticsearch",
            "ELASTICSEARCH_URL": "http://127.0.0.1:1", "REDIS_TIMEOUT_MS": "200", "ELASTICSEARCH_TIMEOUT_MS": "200",
        ])
        try await test.app.test(.router) { client in
            try await client.execute(uri: "/", method: .get, headers: [.accept: Self.browserAccept]) { response in
                #expect(response.status == .ok)
                let html = String(buffer: response.body)
                #expect(html.contains(#"<p id="hits" class="failing">The counter is unavailable: redis did not answer</p>"#))
                #expect(html.contains(#"<p id="cities" class="failing">The city store is unavailable: elasticsearch did not answer</p>"#))
                #expect(!html.contains(#"id="hit""#), "no button for a counter that cannot count")
            }
        }
    }

    @Test(arguments: [(0, "0"), (7, "7"), (999, "999"), (1_000, "1,000"), (8_336_817, "8,336,817"), (-1_234, "-1,234")] as [(Int64, String)])
    func populationsAreGroupedInThousands(_ number: Int64, _ text: String) {
        #expect(HTML.grouped(number) == text)
    }

    @Test(arguments: [(0, "0s"), (12, "12s"), (250, "4m 10s"), (7_500, "2h 5m"), (3_600, "1h 0m"), (273_600, "3d 4h")] as [(Int64, String)])
    func uptimeReadsAsTheTwoLargestUnits(_ seconds: Int64, _ text: String) {
        #expect(StatusPage.duration(.seconds(seconds)) == text)
    }
}
