import Hummingbird

/// The page a browser gets at `/`: what the JSON endpoints say, for a person. Rendered here, so it
/// reads without JavaScript; `page.js` adds the hit button and the city lookup. No asset comes from
/// elsewhere, and the Content-Security-Policy allows nothing but this origin's script and style.
struct StatusPage {
    let configuration: PetrelConfiguration
    let readiness: Readiness
    let counter: any CounterStore
    let cities: any CityStore

    /// The cities listed on the page; the lookup reaches the rest.
    static let listedCities = 100

    static let headers: HTTPFields = [
        .contentType: "text/html; charset=utf-8",
        .cacheControl: "no-store",
        .vary: "Accept",
        .contentSecurityPolicy:
            "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
            + "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        .xContentTypeOptions: "nosniff",
        .referrerPolicy: "no-referrer",
    ]

    func response() async -> Response {
        // A backend that is down makes its part of the page say so; the page itself still answers.
        async let hits = Self.outcome { try await counter.current() }
        async let page = Self.outcome { try await cities.list(prefix: "", after: nil, limit: Self.listedCities) }
        let html = render(hits: await hits, cities: await page)
        return Response(status: .ok, headers: Self.headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    func render(hits: Result<Int64, any Error>, cities: Result<CityPage, any Error>) -> String {
        let identity = configuration.identity
        let status = readiness.status
        let version = HTML.escape(BuildInfo.current.version)
        let environment = HTML.escape(configuration.environment.rawValue)
        func field(_ id: String, _ label: String, _ value: String) -> String {
            "<dt>\(label)</dt><dd id=\"\(id)\">\(value.isEmpty ? "<i>not in Kubernetes</i>" : HTML.escape(value))</dd>"
        }
        let checks = status.checks.map { check in
            let state = check.result == Readiness.Status.ok ? "ok" : "failing"
            return "<tr data-check=\"\(HTML.escape(check.name))\" class=\"\(state)\"><th>\(HTML.escape(check.name))</th><td>\(HTML.escape(check.result))</td></tr>"
        }
        return """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>petrel \(version) · \(environment)</title>
            <link rel="icon" type="image/svg+xml" href="\(PageAssets.iconPath)">
            <link rel="stylesheet" href="\(PageAssets.stylesheetPath)">
            <script src="\(PageAssets.scriptPath)" defer></script>
            </head>
            <body>
            <header>
            <h1 id="service">petrel</h1>
            <p>version <span id="version">\(version)</span> · environment <span id="environment">\(environment)</span></p>
            </header>
            <main>
            <section aria-labelledby="where-heading">
            <h2 id="where-heading">This answer came from</h2>
            <dl>
            \(field("pod", "Pod", identity.pod))
            \(field("node", "Node", identity.node))
            \(field("namespace", "Namespace", identity.namespace))
            <dt>Up for</dt><dd id="uptime" data-seconds="\(Int(readiness.uptime.seconds))">\(Self.duration(readiness.uptime))</dd>
            </dl>
            </section>
            <section aria-labelledby="readiness-heading">
            <h2 id="readiness-heading">Readiness: <span id="readiness-status" class="\(status.isReady ? "ok" : "failing")">\(status.isReady ? "READY" : "NOT_READY")</span></h2>
            <table id="checks">
            \(checks.joined(separator: "\n"))
            </table>
            </section>
            <section aria-labelledby="hits-heading">
            <h2 id="hits-heading">Hits</h2>
            \(Self.hits(hits))
            </section>
            <section aria-labelledby="cities-heading">
            <h2 id="cities-heading">Cities</h2>
            <form id="lookup" action="/" method="get">
            <label for="city-name">City</label>
            <input id="city-name" name="city" list="city-names" required maxlength="\(CityName.maximumLength)" autocomplete="off">
            <button type="submit">Look up</button>
            </form>
            <p id="city-result" role="status" aria-live="polite"></p>
            \(Self.cities(cities))
            </section>
            </main>
            <footer><a href="/openapi.yaml">API</a> · <a href="/readiness">readiness</a> · <a href="/version">version</a></footer>
            </body>
            </html>

            """
    }

    private static func outcome<Value>(_ body: () async throws -> Value) async -> Result<Value, any Error> {
        do { return .success(try await body()) } catch { return .failure(error) }
    }

    private static func hits(_ hits: Result<Int64, any Error>) -> String {
        switch hits {
        case .success(let count):
            return """
                <p><output id="hits" data-count="\(count)">\(HTML.grouped(count))</output> hits, shared by every replica.</p>
                <button id="hit" type="button">Count one more hit</button>
                <p id="hit-error" role="alert"></p>
                """
        case .failure(let error):
            return #"<p id="hits" class="failing">The counter is unavailable: \#(HTML.escape(describe(error)))</p>"#
        }
    }

    private static func cities(_ page: Result<CityPage, any Error>) -> String {
        switch page {
        case .success(let page) where page.cities.isEmpty:
            return #"<p id="cities">No cities yet: <code>PUT /cities/{name}</code> with an API key adds one.</p>"#
        case .success(let page):
            let rows = page.cities.map { city in
                let name = HTML.escape(city.name)
                return "<tr data-city=\"\(name)\" data-population=\"\(city.population)\"><th>\(name)</th><td>\(HTML.grouped(city.population))</td></tr>"
            }
            let options = page.cities.map { "<option value=\"\(HTML.escape($0.name))\"></option>" }
            let more = page.nextAfter == nil ? "" : "<p>The first \(listedCities) by name; <code>GET /cities</code> pages through them all.</p>"
            return """
                <table id="cities"><thead><tr><th>City</th><th>Population</th></tr></thead><tbody>
                \(rows.joined(separator: "\n"))
                </tbody></table>
                \(more)
                <datalist id="city-names">\(options.joined())</datalist>
                """
        case .failure(let error):
            return #"<p id="cities" class="failing">The city store is unavailable: \#(HTML.escape(describe(error)))</p>"#
        }
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case StoreError.unavailable(let dependency): "\(dependency) did not answer"
        case StoreError.refused(let dependency): "\(dependency) refused the request"
        default: "\(error)"
        }
    }

    /// `3d 4h`, `2h 5m`, `4m 10s`, `12s`: the two largest units are enough for a person.
    static func duration(_ duration: Duration) -> String {
        let total = max(0, Int(duration.seconds))
        let parts = [(total / 86_400, "d"), (total / 3_600 % 24, "h"), (total / 60 % 60, "m"), (total % 60, "s")]
        let shown = parts.drop { $0.0 == 0 }.prefix(2)
        return shown.isEmpty ? "0s" : shown.map { "\($0.0)\($0.1)" }.joined(separator: " ")
    }
}
