import Hummingbird

/// `/` (service info, or the status page for a browser), `/hello` (greeting with where it runs) and `/version`.
struct InfoRoutes {
    let configuration: PetrelConfiguration
    let readiness: Readiness
    let page: StatusPage

    struct ServiceInfo: Encodable {
        let name: String
        let version: String
        let environment: String
        let uptime_seconds: Double
        let pod: String
        let node: String
        let namespace: String
    }

    struct Greeting: Encodable {
        let message: String
        let pod: String
        let node: String
        let namespace: String
    }

    func add(to router: Router<PetrelRequestContext>) {
        let identity = configuration.identity
        router.get("/") { request, _ in
            // A browser gets the status page; curl and API clients (`*/*`, JSON) get the JSON.
            if MediaPreference.preferred(["application/json", "text/html"], accept: request.headers[.accept]) == "text/html" {
                return await page.response()
            }
            // Uptime changes every time: nothing may cache it.
            let info = ServiceInfo(
                name: "petrel", version: BuildInfo.current.version, environment: configuration.environment.rawValue,
                uptime_seconds: readiness.uptime.seconds.rounded(toPlaces: 3),
                pod: identity.pod, node: identity.node, namespace: identity.namespace)
            return JSONBody.response(info, headers: [.cacheControl: "no-store", .vary: "Accept"])
        }
        // Without a name the greeting is the same every time: encoded once, not per request.
        let greeting = JSONBody.encode(
            Greeting(message: "Hello from petrel", pod: identity.pod, node: identity.node, namespace: identity.namespace))
        router.get("/hello") { request, _ in
            guard let name = try request.uri.formDecodedQuery()["name"].map(Self.validatedName) else {
                return JSONBody.response(encoded: greeting)
            }
            return JSONBody.response(
                Greeting(message: "Hello, \(name)!", pod: identity.pod, node: identity.node, namespace: identity.namespace))
        }
        router.get("/version") { _, _ in BuildInfo.current }
    }

    static let maximumNameLength = 64

    /// Code points unassigned in this build's Unicode tables count too: a client on a newer
    /// Unicode may know them as letters, and they cannot be markup.
    private static func isLetterOrMark(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
            .nonspacingMark, .spacingMark, .enclosingMark, .unassigned:
            true
        default: false
        }
    }

    /// A name to greet: 1–64 letters (with their combining marks), digits, spaces, or `' - .`, so a
    /// greeting can't carry markup. Counted in Unicode scalars, as the OpenAPI schema's maxLength is.
    static func validatedName(_ name: String) throws -> String {
        let allowed = !name.isEmpty && name.unicodeScalars.count <= maximumNameLength
            && name.unicodeScalars.allSatisfy { scalar in
                isLetterOrMark(scalar) || ("0"..."9").contains(scalar) || " '-.".unicodeScalars.contains(scalar)
            }
            && !name.allSatisfy(\.isWhitespace)
        guard allowed else {
            throw APIError.badRequest("name must be 1 to \(maximumNameLength) letters, digits, spaces or ' - .")
        }
        return name
    }
}

extension BuildInfo: ResponseEncodable {}
