import HTTPTypes
import NIOConcurrencyHelpers

/// The routes the router serves, by template and method, so that a path that exists under another
/// method is answered 405 with `Allow` instead of 404. Filled once, after the routes are added.
final class RouteTable: Sendable {
    private let routes = NIOLockedValueBox([(template: [Substring], method: HTTPRequest.Method)]())

    /// Every GET route also answers HEAD (the router generates those when it builds its responder).
    func set(_ routes: [(path: String, method: HTTPRequest.Method)]) {
        let withHead = routes + routes.filter { $0.method == .get }.map { (path: $0.path, method: HTTPRequest.Method.head) }
        let parsed = withHead.map { (template: $0.path.split(separator: "/"), method: $0.method) }
        self.routes.withLockedValue { $0 = parsed }
    }

    /// The methods served for `path`, empty when no route template matches it.
    func allowedMethods(for path: String) -> [HTTPRequest.Method] {
        let segments = path.split(separator: "/")
        let methods = routes.withLockedValue { routes in
            routes.filter { Self.matches($0.template, segments) }.map(\.method)
        }
        return Set(methods).sorted { $0.rawValue < $1.rawValue }
    }

    private static func matches(_ template: [Substring], _ segments: [Substring]) -> Bool {
        guard template.count == segments.count else { return false }
        return zip(template, segments).allSatisfy { pattern, segment in
            pattern.hasPrefix("{") || pattern.hasPrefix(":") || pattern == "*" || pattern == segment
        }
    }
}
