import Foundation

/// A city's name as the API accepts it: trimmed of spaces, Unicode-normalised (NFC), 1–100 characters
/// (Unicode scalars, as JSON Schema counts them), no control characters. `display` keeps the
/// caller's spelling; `key` is how cities are matched and sorted: the fully case-folded NFC form
/// without invisible characters, so "São Paulo", "SÃO PAULO", the decomposed "Sa\u{0303}o Paulo",
/// "Straße" and "STRASSE", or "Oslo" and "Os\u{200B}lo", are one city each.
struct CityName: Sendable, Hashable {
    static let maximumLength = 100

    let display: String
    let key: String

    init(_ raw: String) throws(CityNameError) {
        let trimmed = Self.trimmingSpaces(raw)
        guard !trimmed.isEmpty else { throw .empty }
        // Counted as sent (as JSON Schema's maxLength counts), before NFC may change the count.
        guard trimmed.unicodeScalars.count <= Self.maximumLength else { throw .tooLong }
        let display = trimmed.precomposedStringWithCanonicalMapping
        if let bad = display.unicodeScalars.first(where: Self.isForbidden) {
            throw .forbiddenCharacter(String(format: "U+%04X", bad.value))
        }
        let key = Self.key(display)
        // Invisible characters drop out of the key: a name of nothing else would share the empty key.
        guard key.unicodeScalars.contains(where: { $0.properties.generalCategory != .spaceSeparator }) else { throw .invisible }
        self.display = display
        self.key = key
    }

    /// Spaces (Unicode category Zs) are trimmed; tabs and newlines are control characters and
    /// refused, so a name that arrived with a stray newline is an error, not silently repaired.
    static func trimmingSpaces(_ text: String) -> String {
        let isSpace = { (scalar: Unicode.Scalar) in scalar.properties.generalCategory == .spaceSeparator }
        var scalars = Substring(text).unicodeScalars
        while let first = scalars.first, isSpace(first) { scalars.removeFirst() }
        while let last = scalars.last, isSpace(last) { scalars.removeLast() }
        return String(scalars)
    }

    /// The matching form of a name or of a prefix of one.
    static func key(_ text: String) -> String {
        let folded = text.precomposedStringWithCanonicalMapping.folding(options: [.caseInsensitive], locale: nil)
        var visible = String.UnicodeScalarView()
        visible.append(contentsOf: folded.unicodeScalars.filter { !$0.properties.isDefaultIgnorableCodePoint })
        return String(visible).precomposedStringWithCanonicalMapping
    }

    /// Control characters and line or paragraph separators break logs, headers and terminals;
    /// bidirectional overrides and isolates make a name display as another one. Everything
    /// else a person might type is allowed.
    static func isForbidden(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .lineSeparator, .paragraphSeparator: return true
        default: return (0x202A...0x202E).contains(scalar.value) || (0x2066...0x2069).contains(scalar.value)
        }
    }

    /// The smallest string greater than every string that starts with `prefix`, in code point
    /// order (which is also UTF-8 byte order): the exclusive upper bound of a prefix range.
    /// `nil` when no such bound exists (the prefix is empty or all U+10FFFF).
    static func successor(ofPrefix prefix: String) -> String? {
        var scalars = Array(prefix.unicodeScalars)
        while let last = scalars.popLast() {
            var next = last.value + 1
            if next == 0xD800 { next = 0xE000 }  // skip the surrogate range
            if let scalar = Unicode.Scalar(next) {
                var result = String.UnicodeScalarView()
                result.append(contentsOf: scalars)
                result.append(scalar)
                return String(result)
            }
        }
        return nil
    }
}

enum CityNameError: Error, Equatable, CustomStringConvertible {
    case empty, invisible, tooLong, forbiddenCharacter(String)

    var description: String {
        switch self {
        case .empty: "the city name is empty"
        case .invisible: "the city name has no visible character"
        case .tooLong: "the city name is longer than \(CityName.maximumLength) characters"
        case .forbiddenCharacter(let scalar): "the city name contains the control or reserved character \(scalar)"
        }
    }
}

/// The populations the API stores: whole numbers from 0 to ten billion.
enum Population {
    static let range: ClosedRange<Int64> = 0...10_000_000_000
}
