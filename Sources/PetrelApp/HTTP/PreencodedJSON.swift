import Hummingbird

/// JSON bodies that never change, encoded once when the routes are built, so the hottest
/// endpoints answer without running an encoder.
struct PreencodedJSON: Sendable {
    let body: ByteBuffer

    init(_ object: [(String, String)]) {
        var bytes: [UInt8] = [UInt8(ascii: "{")]
        for (index, (key, value)) in object.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            JSONText.appendString(key, to: &bytes)
            bytes.append(UInt8(ascii: ":"))
            JSONText.appendString(value, to: &bytes)
        }
        bytes.append(UInt8(ascii: "}"))
        body = ByteBuffer(bytes: bytes)
    }

    func instantResponse(status: HTTPResponse.Status = .ok) -> InstantResponse {
        InstantResponse(status: status, headers: [.contentType: "application/json"], body: body)
    }

    func response(status: HTTPResponse.Status = .ok) -> Response {
        instantResponse(status: status).response
    }
}
