import Hummingbird

// The benchmark's baseline: the same /hello JSON body as Petrel, on a bare Hummingbird router.
let port = Int(CommandLine.arguments.dropFirst().first ?? "8081") ?? 8081
let body = ByteBuffer(string: #"{"message":"Hello from petrel","pod":"","node":"","namespace":""}"#)
let router = Router()
router.get("/hello") { _, _ in
    Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: body))
}
let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
try await app.runService()
