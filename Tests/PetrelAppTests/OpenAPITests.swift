import Foundation
import PetrelApp
import Testing

@Suite("OpenAPI document")
struct OpenAPITests {
    /// `GET /hello`-style operations listed under `paths:` (path items given by `$ref` are GET probes).
    static var documented: Set<String> {
        var operations = Set<String>()
        var currentPath: String?
        var inPaths = false
        for line in OpenAPIDocument.yaml.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "paths:" { inPaths = true; continue }
            if inPaths, !line.hasPrefix(" ") { break }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), let colon = line.firstIndex(of: ":") {
                let path = String(line[line.index(line.startIndex, offsetBy: 2)..<colon])
                currentPath = path
                if line.contains("$ref") { operations.insert("GET \(path)") }
            } else if let path = currentPath, line.hasPrefix("    "), !line.hasPrefix("     "),
                let method = line.trimmingCharacters(in: .whitespaces).split(separator: ":").first,
                ["get", "head", "put", "post", "delete", "patch"].contains(String(method))
            {
                operations.insert("\(method.uppercased()) \(path)")
            }
        }
        return operations
    }

    @Test func everyRouteIsDocumentedAndEveryOperationServed() async throws {
        let test = try await TestApp()
        let served = Set(test.app.routes)
        #expect(!Self.documented.isEmpty)
        #expect(served.subtracting(Self.documented).isEmpty, "served but not documented: \(served.subtracting(Self.documented))")
        #expect(Self.documented.subtracting(served).isEmpty, "documented but not served: \(Self.documented.subtracting(served))")
    }
}
