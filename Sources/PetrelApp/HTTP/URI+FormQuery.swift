import Foundation
import HummingbirdCore

extension URI {
    /// Query parameters decoded as browsers and most HTTP clients encode them (`+` is a space),
    /// which Hummingbird's `queryParameters` does not do. The first occurrence of a name wins.
    func formDecodedQuery() throws -> [String: String] {
        var parameters: [String: String] = [:]
        for pair in (query ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (part: Substring) in part.replacingOccurrences(of: "+", with: " ").removingPercentEncoding }
            guard let name = decode(parts[0]), let value = decode(parts.count > 1 ? parts[1] : "") else {
                throw APIError.badRequest("the query string is not valid percent-encoded UTF-8")
            }
            if parameters[name] == nil { parameters[name] = value }
        }
        return parameters
    }
}
