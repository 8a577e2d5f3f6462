import Foundation
import Hummingbird

/// The city-population API: `/cities/{name}` (PUT upserts, GET reads, DELETE removes),
/// `/cities?prefix=&limit=&cursor=` (pages sorted by name) and the write-up's original
/// `POST /city` and `GET /city/{name}`. Writes need an API key; every response for one city
/// carries its `ETag`, and `If-Match` makes a write conditional (412 when it no longer holds).
struct CityRoutes {
    let store: any CityStore

    static let defaultPageSize = 20
    static let maximumPageSize = 100
    private static let putExample = #"{"population": 8336817}"#
    private static let postExample = #"{"name": "New York", "population": 8336817}"#

    /// `writes`: the routes that need an API key.
    func add(to router: Router<PetrelRequestContext>, writes: RouterGroup<PetrelRequestContext>) {
        router.get("/cities") { request, _ in try await list(request) }
        router.get("/cities/{name}") { request, context in try await get(try Self.pathName(context), request) }
        router.get("/city/{name}") { request, context in try await get(try Self.pathName(context), request) }
        writes.put("/cities/{name}") { request, context in
            let name = try Self.pathName(context)
            let body = try await JSONObjectBody(request, context: context, allowed: ["population"], example: Self.putExample)
            return try await put(name, population: try body.population(), request)
        }
        writes.post("/city") { request, context in
            let body = try await JSONObjectBody(request, context: context, allowed: ["name", "population"], example: Self.postExample)
            let name: CityName
            do {
                name = try CityName(try body.string("name"))
            } catch let error as CityNameError {
                throw JSONObjectBody.invalid("name: \(error)")
            }
            return try await put(name, population: try body.population(), request)
        }
        writes.delete("/cities/{name}") { request, context in
            let name = try Self.pathName(context)
            let deleted = try await store.delete(name, precondition: try Self.precondition(request))
            guard deleted else { throw Self.notFound(name) }
            return Response(status: .noContent)
        }
    }

    private func get(_ name: CityName, _ request: Request) async throws -> Response {
        let city = try await store.city(name)
        // If-Match first (RFC 9110 §13.2.2): a client that only wants the version it has gets 412
        // when the city moved on (or is gone), as a write would.
        if let header = request.headers[.ifMatch] {
            let condition = RequestPrecondition(ifMatch: try Self.entityTags(header, field: "If-Match"))
            guard condition.isSatisfied(by: city) else { throw StoreError.preconditionFailed }
        }
        guard let city else { throw Self.notFound(name) }
        // Weak comparison (RFC 9110 §13.1.2); a malformed If-None-Match is ignored, since the full
        // answer is always safe to send.
        if let header = request.headers[.ifNoneMatch], let etags = Self.parseEntityTags(header),
            !RequestPrecondition(ifNoneMatch: etags).isSatisfied(by: city)
        {
            return Response(status: .notModified, headers: [.eTag: Self.quoted(city.etag), .cacheControl: "no-cache"])
        }
        return Self.response(city, status: .ok)
    }

    private func put(_ name: CityName, population: Int64, _ request: Request) async throws -> Response {
        let precondition = try Self.precondition(request)
        let (city, outcome) = try await store.put(name, population: population, precondition: precondition)
        var response = Self.response(city, status: outcome == .created ? .created : .ok)
        if outcome == .created { response.headers[.location] = "/cities/" + Self.pathSegment(city.name) }
        return response
    }

    private func list(_ request: Request) async throws -> Response {
        let query = try request.uri.formDecodedQuery()
        var prefix = ""
        if let raw = query["prefix"] {
            guard raw.unicodeScalars.count <= CityName.maximumLength, !raw.unicodeScalars.contains(where: CityName.isForbidden) else {
                throw APIError.badRequest("prefix must be at most \(CityName.maximumLength) characters without control characters")
            }
            prefix = CityName.key(raw)
        }
        var limit = Self.defaultPageSize
        if let raw = query["limit"] {
            guard let value = Int(raw), (1...Self.maximumPageSize).contains(value) else {
                throw APIError.badRequest("limit must be a whole number from 1 to \(Self.maximumPageSize)")
            }
            limit = value
        }
        var after: String?
        if let cursor = query["cursor"] {
            guard let key = Self.decodeCursor(cursor) else {
                throw APIError.badRequest("cursor is not one this service issued; pass next_cursor from the previous page")
            }
            after = key
        }
        let page = try await store.list(prefix: prefix, after: after, limit: limit)
        let body = CityList(cities: page.cities.map(CityBody.init), nextCursor: page.nextAfter.map(Self.encodeCursor))
        return JSONBody.response(body)
    }

    // MARK: - Request parts

    /// The `{name}` path segment, percent-decoded and validated.
    static func pathName(_ context: PetrelRequestContext) throws -> CityName {
        guard let raw = context.parameters.get("name"), let decoded = raw.removingPercentEncoding else {
            throw APIError(.badRequest, code: "invalid_name", "the city name in the path is not valid percent-encoded UTF-8")
        }
        do {
            return try CityName(decoded)
        } catch {
            throw APIError(.badRequest, code: "invalid_name", "\(error)")
        }
    }

    /// A write's `If-Match` and `If-None-Match`. A malformed one is a condition that cannot hold:
    /// 412, saying why, and nothing is written.
    static func precondition(_ request: Request) throws -> RequestPrecondition? {
        let ifMatch = try request.headers[.ifMatch].map { try entityTags($0, field: "If-Match") }
        let ifNoneMatch = try request.headers[.ifNoneMatch].map { try entityTags($0, field: "If-None-Match") }
        guard ifMatch != nil || ifNoneMatch != nil else { return nil }
        return RequestPrecondition(ifMatch: ifMatch, ifNoneMatch: ifNoneMatch)
    }

    static func entityTags(_ header: String, field: String) throws -> EntityTags {
        guard let tags = parseEntityTags(header) else {
            throw APIError(
                .preconditionFailed, code: "precondition_failed",
                #"\#(field) is not * or a list of quoted entity tags (as "3.17", "1.2"), so it cannot hold; nothing was done"#)
        }
        return tags
    }

    /// The entity tags of an `If-Match` / `If-None-Match` value, without quotes (weak ones keep
    /// `W/`); `nil` when malformed. Parsed by RFC 9110's grammar: a comma may appear inside a quoted
    /// tag, and only a bare `*` is the wildcard (`"*"` is a tag).
    static func parseEntityTags(_ header: String) -> EntityTags? {
        var rest = Substring(header).drop(while: { $0 == " " || $0 == "\t" || $0 == "," })
        if rest.trimmingCharacters(in: .whitespaces) == "*" { return .any }
        var tags: [String] = []
        while true {
            let weak = rest.hasPrefix("W/")
            if weak { rest = rest.dropFirst(2) }
            guard rest.first == "\"", let close = rest.dropFirst().firstIndex(of: "\"") else { return nil }
            let tag = rest[rest.index(after: rest.startIndex)..<close]
            // etagc (RFC 9110 §8.8.3): no spaces or controls inside the quotes.
            guard tag.unicodeScalars.allSatisfy({ $0.value == 0x21 || (0x23...0x7E).contains($0.value) || $0.value >= 0x80 }) else { return nil }
            tags.append((weak ? "W/" : "") + tag)
            rest = rest[rest.index(after: close)...].drop(while: { $0 == " " || $0 == "\t" })
            if rest.isEmpty { return .tags(tags) }
            guard rest.first == "," else { return nil }
            // Empty list elements ("a", , "b") are allowed and skipped (RFC 9110 §5.6.1).
            rest = rest.drop(while: { $0 == " " || $0 == "\t" || $0 == "," })
            if rest.isEmpty { return .tags(tags) }
        }
    }

    // MARK: - Responses

    static func notFound(_ name: CityName) -> APIError {
        APIError(.notFound, code: "not_found", "no city named \"\(name.display)\"; create it with PUT /cities/{name}")
    }

    /// Caches may keep a city, but must revalidate it with its ETag before every use.
    static func response(_ city: City, status: HTTPResponse.Status) -> Response {
        JSONBody.response(CityBody(city), status: status, headers: [.eTag: quoted(city.etag), .cacheControl: "no-cache"])
    }

    static func quoted(_ etag: String) -> String { "\"\(etag)\"" }

    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    /// The name as one path segment; "." and ".." are encoded so no client resolves them as dot segments.
    static func pathSegment(_ name: String) -> String {
        if name == "." || name == ".." { return String(repeating: "%2E", count: name.count) }
        return name.addingPercentEncoding(withAllowedCharacters: unreserved) ?? name
    }

    /// Cursors are the last key of a page, base64url-encoded: opaque to clients, stable across replicas.
    static func encodeCursor(_ key: String) -> String {
        Data(key.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decodeCursor(_ cursor: String) -> String? {
        var base64 = cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        // Any base64url is accepted: a forged cursor only moves where the page starts.
        guard let data = Data(base64Encoded: base64), !data.isEmpty else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}

/// A city as the API shows it.
struct CityBody: Encodable {
    let name: String
    let population: Int64
    let updated_at: String

    init(_ city: City) {
        name = city.name
        population = city.population
        updated_at = Timestamp.string(city.updatedAt)
    }
}

/// One page of `GET /cities`; `next_cursor` is null on the last page.
struct CityList: Encodable {
    let cities: [CityBody]
    let nextCursor: String?

    enum CodingKeys: String, CodingKey {
        case cities
        case nextCursor = "next_cursor"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(cities, forKey: .cities)
        try container.encode(nextCursor, forKey: .nextCursor)
    }
}
