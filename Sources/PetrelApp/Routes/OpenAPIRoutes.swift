import Hummingbird

/// `GET /openapi.yaml`: the OpenAPI 3.1 description of every endpoint.
struct OpenAPIRoutes {
    func add(to router: Router<PetrelRequestContext>) {
        let document = ByteBuffer(string: OpenAPIDocument.yaml)
        router.get("/openapi.yaml") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/yaml"], body: .init(byteBuffer: document))
        }
    }
}
