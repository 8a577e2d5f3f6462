import Hummingbird

/// The web hit counter: `GET /hits` counts one more and says how many (`Holla! we have hit N
/// times`, or `{"hits":N}` to a client that accepts JSON); `GET /hits/current` only reads.
struct HitsRoutes {
    let store: any CounterStore
    let metrics: PetrelMetrics

    func add(to router: Router<PetrelRequestContext>) {
        router.get("/hits") { request, _ in
            let count = try await store.increment()
            metrics.hits.increment()
            return Self.response(count, for: request)
        }
        // HEAD must not count: without this, the router would answer it with the GET handler.
        router.head("/hits") { request, _ in
            Self.response(try await store.current(), for: request).createHeadResponse()
        }
        router.get("/hits/current") { request, _ in
            Self.response(try await store.current(), for: request)
        }
    }

    /// A count is out of date as soon as it is sent, and `GET /hits` must reach the server to count.
    static let noStore: HTTPFields = [.cacheControl: "no-store"]

    static func response(_ count: Int64, for request: Request) -> Response {
        if request.headers[.accept]?.contains("application/json") == true {
            return JSONBody.response(["hits": count], headers: Self.noStore)
        }
        return Response(
            status: .ok, headers: [.contentType: "text/plain; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: "Holla! we have hit \(count) times\n")))
    }
}
