import Foundation

/// Which of the media types a handler can send the client's `Accept` header prefers (RFC 9110
/// §12.5.1): the most specific range that matches a type gives its quality. On a tie the first
/// of `offered` wins, so an API client sending `*/*` (or no `Accept`) gets the handler's default.
enum MediaPreference {
    static func preferred(_ offered: [String], accept: String?) -> String? {
        guard let accept, !accept.isEmpty else { return offered.first }
        let ranges = accept.split(separator: ",").compactMap(Range.init)
        var best: (type: String, quality: Double)?
        for type in offered {
            let quality = ranges.filter { $0.matches(type) }.max { $0.specificity < $1.specificity }?.quality ?? 0
            if quality > 0, quality > (best?.quality ?? 0) { best = (type, quality) }
        }
        return best?.type
    }

    private struct Range {
        let type: Substring
        let subtype: Substring
        let quality: Double

        init?(_ element: Substring) {
            let parts = element.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            let media = parts.first?.lowercased().split(separator: "/") ?? []
            guard media.count == 2 else { return nil }
            type = media[0]
            subtype = media[1]
            var quality = 1.0
            for parameter in parts.dropFirst() where parameter.lowercased().hasPrefix("q=") {
                guard let value = Double(parameter.dropFirst(2)), (0...1).contains(value) else { return nil }
                quality = value
            }
            self.quality = quality
        }

        /// `*/*` < `text/*` < `text/html`.
        var specificity: Int { type == "*" ? 0 : subtype == "*" ? 1 : 2 }

        func matches(_ mediaType: String) -> Bool {
            let offered = mediaType.split(separator: "/")
            return type == "*" || (type == offered[0] && (subtype == "*" || subtype == offered[1]))
        }
    }
}
