import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import PetrelApp

/// A key file in a temporary directory: one plain key and one stored as its SHA-256.
struct KeyFile {
    static let plainKey = "plain-test-key-0123456789"
    static let hashedKey = "hashed-test-key-9876543210"
    let path: String

    init(_ contents: String? = nil) throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("petrel-keys-\(UUID().uuidString)").path
        let digest = APIKeyFile.digest(of: Self.hashedKey).map { String(format: "%02x", $0) }.joined()
        try (contents ?? "# test keys\n\(Self.plainKey)\n\nsha256:\(digest)\n").write(toFile: path, atomically: true, encoding: .utf8)
    }
}

@Suite("City API over HTTP")
struct CityRouteTests {
    static func app(_ extra: [String: String] = [:]) async throws -> TestApp {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("petrel-cityroutes-\(UUID().uuidString)").path
        var settings = ["CITY_STORE": "sqlite", "DATA_DIR": directory, "API_KEYS_FILE": try KeyFile().path]
        settings.merge(extra) { _, new in new }
        return try await TestApp(settings)
    }

    static let key: HTTPFields = [.apiKey: KeyFile.plainKey]
    static func body(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

    @Test func putCreatesThenUpdatesAndGetReadsWithETag() async throws {
        try await Self.app().app.test(.router) { client in
            let etag = try await client.execute(uri: "/cities/Lisbon", method: .put, headers: Self.key, body: Self.body(#"{"population": 545923}"#)) { response throws in
                #expect(response.status == .created)
                #expect(response.headers[.location] == "/cities/Lisbon")
                let json = try response.json
                #expect(json["name"] as? String == "Lisbon")
                #expect(json["population"] as? Int == 545_923)
                #expect((json["updated_at"] as? String)?.hasSuffix("Z") == true)
                return try #require(response.headers[.eTag])
            }
            try await client.execute(uri: "/cities/lisbon", method: .get) { response throws in
                #expect(response.status == .ok)
                #expect(response.headers[.eTag] == etag)
                #expect(try response.json["population"] as? Int == 545_923)
            }
            try await client.execute(uri: "/cities/Lisbon", method: .put, headers: Self.key, body: Self.body(#"{"population": 548703}"#)) { response throws in
                #expect(response.status == .ok)
                #expect(response.headers[.eTag] != etag)
            }
            try await client.execute(uri: "/city/LISBON", method: .get) { response throws in
                #expect(try response.json["population"] as? Int == 548_703)
            }
            try await client.execute(uri: "/cities/Lisbon", method: .delete, headers: Self.key) { #expect($0.status == .noContent) }
            try await client.execute(uri: "/cities/Lisbon", method: .delete, headers: Self.key) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/cities/Lisbon", method: .get) { response throws in
                #expect(response.status == .notFound)
                #expect(try response.apiError.code == "not_found")
            }
        }
    }

    @Test func theWriteUpsOriginalShapes() async throws {
        try await Self.app().app.test(.router) { client in
            try await client.execute(uri: "/city", method: .post, headers: Self.key, body: Self.body(#"{"name": " New York ", "population": 8336817}"#)) { response throws in
                #expect(response.status == .created)
                #expect(try response.json["name"] as? String == "New York")
            }
            try await client.execute(uri: "/city/new%20york", method: .get) { response throws in
                #expect(response.status == .ok)
                #expect(try response.json["population"] as? Int == 8_336_817)
            }
            try await client.execute(uri: "/city", method: .post, headers: Self.key, body: Self.body(#"{"name": "\u0007", "population": 1}"#)) { response throws in
                #expect(response.status == .unprocessableContent)
                #expect(try response.apiError.message.contains("control"))
            }
        }
    }

    @Test func nfcAndNfdSpellingsAreOneCity() async throws {
        try await Self.app().app.test(.router) { client in
            // "São Paulo" precomposed (ã = U+00E3) and decomposed (a + U+0303), percent-encoded in the path.
            try await client.execute(uri: "/cities/S%C3%A3o%20Paulo", method: .put, headers: Self.key, body: Self.body(#"{"population": 12325232}"#)) {
                #expect($0.status == .created)
            }
            try await client.execute(uri: "/cities/Sa%CC%83o%20paulo", method: .put, headers: Self.key, body: Self.body(#"{"population": 12400232}"#)) {
                #expect($0.status == .ok, "the decomposed spelling updates the same city")
            }
            try await client.execute(uri: "/cities?prefix=s%C3%A3", method: .get) { response throws in
                let cities = try #require(try response.json["cities"] as? [[String: Any]])
                #expect(cities.count == 1)
                #expect(cities.first?["population"] as? Int == 12_400_232)
            }
        }
    }

    @Test func keysAreRequiredForWritesAndNeverLogged() async throws {
        let test = try await Self.app()
        try await test.app.test(.router) { client in
            let put = { (headers: HTTPFields) in
                try await client.execute(uri: "/cities/Oslo", method: .put, headers: headers, body: Self.body(#"{"population": 1}"#)) { $0 }
            }
            for headers: HTTPFields in [[:], [.apiKey: "wrong"], [.authorization: "Bearer wrong"], [.authorization: "Basic \(KeyFile.plainKey)"]] {
                let response = try await put(headers)
                #expect(response.status == .unauthorized, "\(headers)")
                #expect(response.headers[.wwwAuthenticate] == #"Bearer realm="petrel""#)
                #expect(try response.apiError.code == "unauthorized")
            }
            try await client.execute(uri: "/cities/Oslo", method: .get) { #expect($0.status == .notFound, "refused writes wrote nothing") }
            #expect(try await put([.authorization: "Bearer \(KeyFile.plainKey)"]).status == .created)
            #expect(try await put([.apiKey: KeyFile.hashedKey]).status == .ok, "a key stored as sha256: is accepted")
            try await client.execute(uri: "/cities/Oslo", method: .delete) { #expect($0.status == .unauthorized) }
        }
        let log = try String(contentsOf: test.logFile, encoding: .utf8)
        #expect(!log.contains(KeyFile.plainKey) && !log.contains(KeyFile.hashedKey) && !log.contains("wrong"))
    }

    @Test func writesAreOpenOnlyInDevelopmentWithoutKeys() async throws {
        try await Self.app(["API_KEYS_FILE": "", "APP_ENV": "production"]).app.test(.router) { client in
            try await client.execute(uri: "/cities/Oslo", method: .put, body: Self.body(#"{"population": 1}"#)) { response throws in
                #expect(response.status == .unauthorized)
                #expect(try response.apiError.message.contains("no API keys are configured"))
            }
        }
        let development = try await Self.app(["API_KEYS_FILE": "", "APP_ENV": "development"])
        try await development.app.test(.router) { client in
            try await client.execute(uri: "/cities/Oslo", method: .put, body: Self.body(#"{"population": 1}"#)) { #expect($0.status == .created) }
        }
        let warning = try development.logLines().first { ($0["msg"] as? String)?.contains("OPEN") == true }
        #expect(warning?["level"] as? String == "warning")
    }

    @Test(arguments: [
        (#"{"population": "5"}"#, 422), (#"{"population": 1.5}"#, 422), (#"{"population": -1}"#, 422),
        (#"{"population": 9223372036854775808}"#, 422), (#"{"population": 10000000001}"#, 422), (#"{"population": true}"#, 422),
        (#"{"population": null}"#, 422), (#"{"population": [1]}"#, 422), (#"{}"#, 422), (#"{"population": 5, "extra": 1}"#, 422),
        (#"{"population": 5"#, 400), (#"[5]"#, 400), (#""#, 400), (#"population=5"#, 400), ("\u{FF}\u{FE}", 400),
    ])
    func badBodiesAreRefusedAndWriteNothing(_ body: String, _ status: Int) async throws {
        try await Self.app().app.test(.router) { client in
            try await client.execute(uri: "/cities/Oslo", method: .put, headers: Self.key, body: Self.body(body)) { response throws in
                #expect(Int(response.status.code) == status, "\(body)")
                #expect(try response.apiError.message.isEmpty == false)
            }
            try await client.execute(uri: "/cities/Oslo", method: .get) { #expect($0.status == .notFound) }
        }
    }

    /// The last three are invisible-only: zero width space, soft hyphen, Mongolian vowel separator.
    @Test(arguments: [
        "%20%20", String(repeating: "a", count: 101), "Oslo%0A", "Os%00lo", "%E2%80%A8", "%E2%80%AEolsO", "%FF%FE", "%zz",
        "%E2%80%8B", "%C2%AD", "%E1%A0%8E%E2%80%8B",
    ])
    func badNamesAreRefused(_ path: String) async throws {
        try await Self.app().app.test(.router) { client in
            try await client.execute(uri: "/cities/\(path)", method: .put, headers: Self.key, body: Self.body(#"{"population": 1}"#)) { response throws in
                #expect(response.status == .badRequest, "\(path)")
                #expect(try response.apiError.code == "invalid_name")
            }
            try await client.execute(uri: "/cities", method: .get) { response throws in
                #expect((try response.json["cities"] as? [Any])?.isEmpty == true)
            }
        }
    }

    /// JSON Schema's `integer` includes 1.0 and 1e3; the API follows the schema it publishes.
    @Test(arguments: [
        (#"{"population": 1.0}"#, 1), (#"{"population": 1e3}"#, 1000), (#"{"population": 10000000000}"#, 10_000_000_000),
        (#"{"population": 1000.000}"#, 1000), (#"{"population": 12.5e1}"#, 125), (#"{"population": 0e-999999999}"#, 0),
        (#"{"population": -0}"#, 0), (#"{"population": 1E+2}"#, 100),
    ])
    func integralNumbersAreIntegers(_ body: String, _ population: Int) async throws {
        try await Self.app().app.test(.router) { client in
            try await client.execute(uri: "/cities/Oslo", method: .put, headers: Self.key, body: Self.body(body)) { response throws in
                #expect(response.status == .created)
                #expect(try response.json["population"] as? Int == population)
            }
        }
    }

    /// Read exactly, as written: a double would round these to whole numbers.
    @Test(arguments: [
        #"{"population": 0.9999999999999999999}"#, #"{"population": 1e-400}"#, #"{"population": 1.5}"#,
        #"{"population": 12345678901234567890}"#, #"{"population": 1e400}"#, #"{"population": "5"}"#, #"{"population": true}"#,
    ])
    func numbersThatAreNotWholeAre422(_ body: String) async throws {
        try await Self.app().app.test(.router) { client in
            try await client.execute(uri: "/cities/Oslo", method: .put, headers: Self.key, body: Self.body(body)) { response throws in
                #expect(response.status == .unprocessableContent, "\(body)")
                #expect(try response.apiError.code == "validation_failed")
            }
            try await client.execute(uri: "/cities/Oslo", method: .get) { #expect($0.status == .notFound, "nothing written for \(body)") }
        }
    }

    /// What RFC 8259 does not allow, and a field given twice (which of the two would count?).
    static let malformedBodies: [(body: [UInt8], reason: String)] = [
        (Array(#"{"population": 1,}"#.utf8), "expected a quoted field name"),
        (Array(#"{"population": 1, "population": 2}"#.utf8), #"the field "population" appears more than once"#),
        (Array(#"{"population": 1, "population": 1}"#.utf8), "appears more than once"),
        (Array(#"{"popul\u0061tion": 1, "population": 2}"#.utf8), "appears more than once"),
        (Array(#"{"population": 01}"#.utf8), "a leading zero"),
        (Array(#"{"population": 1} {}"#.utf8), "text after the JSON value"),
        (Array(#"{"population": 1 /* one */}"#.utf8), "expected ',' or '}'"),
        (Array(#"{"population": 1, "name": "\ud800"}"#.utf8), "a lone high surrogate"),
        (Array(#"{"population": 1, "name": ""#.utf8) + [0xFF, 0x22, 0x7D], "not valid UTF-8"),
        (Array(#"{"population": NaN}"#.utf8), "unexpected character"),
        (Array(#"{"population": 1, "name": "\u+041"}"#.utf8), "four hex digits"),
        (Array(repeating: UInt8(ascii: "["), count: 100) + Array(repeating: UInt8(ascii: "]"), count: 100), "nesting deeper"),
    ]

    @Test(arguments: malformedBodies)
    func malformedJSONIs400(_ body: [UInt8], _ reason: String) async throws {
        try await Self.app().app.test(.router) { client in
            try await client.execute(uri: "/cities/Oslo", method: .put, headers: Self.key, body: ByteBuffer(bytes: body)) { response throws in
                #expect(response.status == .badRequest, "\(String(decoding: body, as: UTF8.self))")
                let error = try response.apiError
                #expect(error.code == "invalid_json")
                #expect(error.message.contains(reason), "\(error.message)")
            }
            try await client.execute(uri: "/cities/Oslo", method: .get) { #expect($0.status == .notFound) }
        }
    }

    @Test(arguments: ["application/json; charset=iso-8859-1", "application/json;charset=UTF-16"])
    func jsonInAnotherCharsetIs415(_ contentType: String) async throws {
        try await Self.app().app.test(.router) { client in
            let headers = Self.key.merging([.contentType: contentType])
            try await client.execute(uri: "/cities/Oslo", method: .put, headers: headers, body: Self.body(#"{"population": 1}"#)) { response throws in
                #expect(response.status == .unsupportedMediaType)
                #expect(try response.apiError.message.contains("UTF-8"))
            }
            let utf8 = Self.key.merging([.contentType: "application/json; charset=UTF-8"])
            try await client.execute(uri: "/cities/Oslo", method: .put, headers: utf8, body: Self.body(#"{"population": 1}"#)) {
                #expect($0.status == .created)
            }
            let ascii = Self.key.merging([.contentType: "application/json; charset=us-ascii"])
            try await client.execute(uri: "/cities/Oslo", method: .put, headers: ascii, body: Self.body(#"{"population": 2}"#)) {
                #expect($0.status == .ok, "ASCII is UTF-8")
            }
        }
    }

    @Test func aCityNamedDotDotGetsAUsableLocation() async throws {
        try await Self.app().app.test(.router) { client in
            try await client.execute(uri: "/cities/%2E%2E", method: .put, headers: Self.key, body: Self.body(#"{"population": 1}"#)) { response in
                #expect(response.status == .created)
                #expect(response.headers[.location] == "/cities/%2E%2E")
            }
        }
    }

    @Test func aHundredCharactersIsTheLongestName() async throws {
        try await Self.app().app.test(.router) { client in
            let name = String(repeating: "é", count: 100)
            let path = name.addingPercentEncoding(withAllowedCharacters: .alphanumerics.subtracting(.nonBaseCharacters))!
            try await client.execute(uri: "/cities/\(path)", method: .put, headers: Self.key, body: Self.body(#"{"population": 1}"#)) {
                #expect($0.status == .created)
            }
        }
    }

    @Test func oversizedAndNonJSONBodiesAreRefused() async throws {
        try await Self.app(["MAX_BODY_BYTES": "64"]).app.test(.router) { client in
            let padded = #"{"population": 1\#(String(repeating: " ", count: 100))}"#
            try await client.execute(uri: "/cities/Oslo", method: .put, headers: Self.key, body: Self.body(padded)) {
                #expect($0.status == .contentTooLarge)
            }
            var textHeaders = Self.key
            textHeaders[.contentType] = "text/plain"
            try await client.execute(uri: "/cities/Oslo", method: .put, headers: textHeaders, body: Self.body(#"{"population": 1}"#)) {
                #expect($0.status == .unsupportedMediaType)
            }
            try await client.execute(uri: "/cities/Oslo", method: .get) { #expect($0.status == .notFound) }
        }
    }

    @Test func ifMatchAndIfNoneMatch() async throws {
        try await Self.app().app.test(.router) { client in
            var headers = Self.key
            headers[.ifMatch] = "*"
            try await client.execute(uri: "/cities/Oslo", method: .put, headers: headers, body: Self.body(#"{"population": 1}"#)) { response throws in
                #expect(response.status == .preconditionFailed, "If-Match: * needs an existing city")
                #expect(try response.apiError.code == "precondition_failed")
            }
            let first = try await client.execute(uri: "/cities/Oslo", method: .put, headers: Self.key, body: Self.body(#"{"population": 1}"#)) {
                try #require($0.headers[.eTag])
            }
            headers[.ifMatch] = first
            let second = try await client.execute(uri: "/cities/Oslo", method: .put, headers: headers, body: Self.body(#"{"population": 2}"#)) { response throws in
                #expect(response.status == .ok)
                return try #require(response.headers[.eTag])
            }
            try await client.execute(uri: "/cities/Oslo", method: .put, headers: headers, body: Self.body(#"{"population": 3}"#)) {
                #expect($0.status == .preconditionFailed, "the first ETag is stale now")
            }
            headers[.ifMatch] = "W/\(second)"
            try await client.execute(uri: "/cities/Oslo", method: .delete, headers: headers) {
                #expect($0.status == .preconditionFailed, "a weak ETag never matches a write")
            }
            for malformed: HTTPFields in [[.ifMatch: "not-quoted"], [.ifNoneMatch: "\"open"], [.ifMatch: #""a b""#]] {
                try await client.execute(uri: "/cities/Oslo", method: .delete, headers: Self.key.merging(malformed)) { response throws in
                    #expect(response.status == .preconditionFailed, "a malformed condition never lets a write through: \(malformed)")
                    #expect(try response.apiError.message.contains("cannot hold"))
                }
            }
            headers[.ifMatch] = #""*""#
            try await client.execute(uri: "/cities/Oslo", method: .delete, headers: headers) {
                #expect($0.status == .preconditionFailed, "a quoted \"*\" is a tag, not the wildcard")
            }
            for ifNoneMatch in [second, "W/\(second)", "\"x\", , \(second)"] {
                try await client.execute(uri: "/cities/Oslo", method: .get, headers: [.ifNoneMatch: ifNoneMatch]) { response throws in
                    #expect(response.status == .notModified, "\(ifNoneMatch)")
                    #expect(response.headers[.eTag] == second)
                }
            }
            try await client.execute(uri: "/cities/Oslo", method: .get) { response throws in
                #expect(try response.json["population"] as? Int == 2)
            }
            // If-Match on a read: 412 when the city is no longer at that version (or is gone).
            try await client.execute(uri: "/cities/Oslo", method: .get, headers: [.ifMatch: first]) { #expect($0.status == .preconditionFailed) }
            try await client.execute(uri: "/cities/Oslo", method: .get, headers: [.ifMatch: second]) { #expect($0.status == .ok) }
            try await client.execute(uri: "/cities/Nowhere", method: .get, headers: [.ifMatch: "*"]) { #expect($0.status == .preconditionFailed) }
            headers[.ifMatch] = "\"stale\", \(second)"
            try await client.execute(uri: "/cities/Oslo", method: .delete, headers: headers) { #expect($0.status == .noContent) }
        }
    }

    @Test func ifNoneMatchStarCreatesOnly() async throws {
        try await Self.app().app.test(.router) { client in
            let createOnly = Self.key.merging([.ifNoneMatch: "*"])
            try await client.execute(uri: "/cities/Oslo", method: .put, headers: createOnly, body: Self.body(#"{"population": 1}"#)) {
                #expect($0.status == .created)
            }
            try await client.execute(uri: "/cities/Oslo", method: .put, headers: createOnly, body: Self.body(#"{"population": 2}"#)) { response throws in
                #expect(response.status == .preconditionFailed, "If-None-Match: * never overwrites")
                #expect(try response.apiError.message.contains("exists already"))
            }
            try await client.execute(
                uri: "/city", method: .post, headers: createOnly.merging([.contentType: "application/json"]),
                body: Self.body(#"{"name": "Oslo", "population": 3}"#)
            ) { #expect($0.status == .preconditionFailed) }
            try await client.execute(uri: "/cities/Oslo", method: .get) { response throws in
                #expect(try response.json["population"] as? Int == 1, "nothing was overwritten")
            }
        }
    }

    @Test func listsPageWithCursors() async throws {
        try await Self.app().app.test(.router) { client in
            for city in ["Bern", "Basel", "Zürich", "Geneva", "Bergen"] {
                try await client.execute(uri: "/cities/\(city.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)", method: .put, headers: Self.key, body: Self.body(#"{"population": 1}"#)) {
                    #expect($0.status == .created)
                }
            }
            var names: [String] = []
            var uri = "/cities?limit=2"
            while true {
                let json = try await client.execute(uri: uri, method: .get) { response throws in
                    #expect(response.status == .ok)
                    return try response.json
                }
                let page = try #require(json["cities"] as? [[String: Any]])
                #expect(page.count <= 2)
                names += page.compactMap { $0["name"] as? String }
                guard let cursor = json["next_cursor"] as? String else {
                    #expect(json["next_cursor"] is NSNull, "next_cursor is null on the last page")
                    break
                }
                uri = "/cities?limit=2&cursor=\(cursor)"
            }
            #expect(names == ["Basel", "Bergen", "Bern", "Geneva", "Zürich"])
            // "+" is a space in a query, as browsers and most clients send it.
            try await client.execute(uri: "/cities/New%20York", method: .put, headers: Self.key, body: Self.body(#"{"population": 1}"#)) { _ in }
            try await client.execute(uri: "/cities?prefix=new+y", method: .get) { response throws in
                #expect((try response.json["cities"] as? [[String: Any]])?.first?["name"] as? String == "New York")
            }
            // An empty cursor would start again at page 1: a client following cursors would loop.
            for bad in ["limit=0", "limit=101", "limit=two", "cursor=%%%", "cursor=a", "cursor=", "prefix=%07"] {
                try await client.execute(uri: "/cities?\(bad)", method: .get) { response throws in
                    #expect(response.status == .badRequest, "\(bad)")
                    #expect(try response.apiError.code == "invalid_request")
                }
            }
        }
    }
}

@Suite("API key file")
struct APIKeyFileTests {
    @Test func windowsLineEndingsAndAByteOrderMarkAreTolerated() throws {
        let keys = try APIKeyFile(contents: "\u{FEFF}first-key-0123456789\r\n# comment\r\nsecond-key-0123456789\r\n")
        #expect(keys.accepts("first-key-0123456789") && keys.accepts("second-key-0123456789"))
        #expect(!keys.accepts("first-key-0123456789\r") && !keys.accepts(""))
    }

    /// A file that is not a keys file must not become keys: one bad line refuses all of it, by line number.
    @Test(arguments: [
        ("ok-key-0123456789abcdef\nsha256:abc\n", 2), ("ok-key-0123456789abcdef\nkind: Secret\n", 2), ("<html>\n", 1),
        ("# keys\nshort-key\n", 2), ("two words in one key line\n", 1), ("ok-key-0123456789abcdef\napiVersion: v1\n", 2),
    ])
    func aFileWithAnyLineThatIsNotAKeyIsRefusedWhole(_ contents: String, _ line: Int) {
        do {
            _ = try APIKeyFile(contents: contents)
            Issue.record("accepted \(contents.debugDescription)")
        } catch {
            #expect("\(error)".contains("line \(line)") && "\(error)".contains("the whole file is refused"), "\(error)")
            #expect(!"\(error)".contains("Secret") && !"\(error)".contains("short-key"), "the line itself may be a key: never echoed")
        }
    }
}

extension HTTPFields {
    func merging(_ other: HTTPFields) -> HTTPFields {
        var merged = self
        for field in other { merged[field.name] = field.value }
        return merged
    }
}
