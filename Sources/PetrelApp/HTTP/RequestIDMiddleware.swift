import Atomics
import Hummingbird

/// Gives every request an id and echoes it in `X-Request-ID`: the caller's when it is valid
/// (1–128 characters of `A–Z a–z 0–9 . _ : -`), else a new one, so ids can be followed across
/// services without letting a caller inject arbitrary text into logs.
struct RequestIDMiddleware: RouterMiddleware {
    typealias Context = PetrelRequestContext

    static let maximumLength = 128

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let id = request.headers[.requestID].flatMap(Self.validated) ?? Self.newID()
        context.requestID = id
        // Replaces Hummingbird's own id, so a request's lines carry the one id the client sees.
        context.logger[metadataKey: "hb.request.id"] = nil
        context.logger[metadataKey: "request_id"] = .string(id)
        var response = try await next(request, context)
        response.headers[.requestID] = context.requestID
        return response
    }

    /// 32 hex digits: a random per-process prefix and a counter, so ids are unique without
    /// a random draw per request, and always the same length.
    static func newID() -> String {
        let low = counter.loadThenWrappingIncrement(ordering: .relaxed)
        return String(unsafeUninitializedCapacity: 32) { buffer in
            let hexDigits: StaticString = "0123456789abcdef"
            for index in 0..<16 {
                let shift = UInt64(60 - 4 * index)
                buffer[index] = hexDigits.utf8Start[Int((processPrefix >> shift) & 0xf)]
                buffer[16 + index] = hexDigits.utf8Start[Int((low >> shift) & 0xf)]
            }
            return 32
        }
    }

    private static let processPrefix = UInt64.random(in: .min ... .max)
    private static let counter = ManagedAtomic<UInt64>(UInt64.random(in: .min ... .max))

    static func validated(_ candidate: String) -> String? {
        let bytes = candidate.utf8
        guard !bytes.isEmpty, bytes.count <= maximumLength else { return nil }
        let allowed = bytes.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: ":"), UInt8(ascii: "-"):
                true
            default: false
            }
        }
        return allowed ? candidate : nil
    }
}
