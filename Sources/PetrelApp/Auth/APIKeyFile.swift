import Crypto
import Foundation

/// The parsed content of `API_KEYS_FILE`: one key per line, either the key itself (at least 16
/// characters, no spaces) or `sha256:<64 hex digits>` of it; blank lines and `#` comments are
/// ignored. Any other line refuses the whole file: a file that is not a keys file ("kind: Secret",
/// an HTML error page) must not turn its lines into keys. Plain keys are hashed on load, so only
/// digests stay in memory and every comparison is digest to digest.
struct APIKeyFile: Sendable, Equatable {
    let digests: [[UInt8]]
    /// Nothing but whitespace: a file being rewritten in place, not one that revokes every key.
    let isBlank: Bool

    static let minimumKeyLength = 16

    init(contents: String) throws(APIKeyFileError) {
        var digests: [[UInt8]] = []
        // Files written on Windows or by some editors carry a byte-order mark and CR LF endings.
        let text = contents.hasPrefix("\u{FEFF}") ? String(contents.dropFirst()) : contents
        for (index, rawLine) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.lowercased().hasPrefix("sha256:") {
                guard let digest = Self.bytes(hex: line.dropFirst("sha256:".count)) else {
                    throw .badDigest(line: index + 1)
                }
                digests.append(digest)
            } else {
                guard line.count >= Self.minimumKeyLength, !line.contains(where: \.isWhitespace) else { throw .badKey(line: index + 1) }
                digests.append(Self.digest(of: line))
            }
        }
        self.digests = digests
        isBlank = text.allSatisfy(\.isWhitespace)
    }

    static func digest(of key: some StringProtocol) -> [UInt8] {
        Array(SHA256.hash(data: Data(key.utf8)))
    }

    /// Whether `key` is one of the keys. Digests are compared, not keys, and every digest is
    /// compared in full without stopping early, so the time taken says nothing about the keys.
    func accepts(_ key: some StringProtocol) -> Bool {
        let presented = Self.digest(of: key)
        var matched: UInt8 = 0
        for digest in digests {
            var difference: UInt8 = 0
            for (a, b) in zip(digest, presented) { difference |= a ^ b }
            matched |= difference == 0 ? 1 : 0
        }
        return matched == 1
    }

    private static func bytes(hex: Substring) -> [UInt8]? {
        let hex = Array(hex.utf8)
        guard hex.count == 64 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        for index in stride(from: 0, to: 64, by: 2) {
            guard let high = nibble(hex[index]), let low = nibble(hex[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }

    private static func nibble(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): character - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

enum APIKeyFileError: Error, CustomStringConvertible {
    case badDigest(line: Int)
    case badKey(line: Int)
    case unreadable(path: String, reason: String)
    case empty(path: String)

    var description: String {
        switch self {
        case .badDigest(let line): "API_KEYS_FILE line \(line): sha256: must be followed by 64 hex digits; the whole file is refused"
        case .badKey(let line):
            "API_KEYS_FILE line \(line) is not a key (at least \(APIKeyFile.minimumKeyLength) characters without spaces, "
                + "or sha256: and 64 hex digits); the whole file is refused"
        case .unreadable(let path, let reason): "cannot read API_KEYS_FILE \(path): \(reason)"
        case .empty(let path):
            "API_KEYS_FILE \(path) is empty (a file being rewritten in place?); to revoke every key, leave a comment line in it"
        }
    }
}
