import Hummingbird

/// `GET /openapi.yaml`: the OpenAPI 3.1 description of every endpoint, `openapi.yaml` beside this
/// file, compiled into the binary (no resource bundle to ship beside it). The tests hold the
/// router and the document to each other: paths, methods, status codes and bodies.
struct OpenAPIRoutes {
    static let document = PackageResources.openapi_yaml

    func add(to router: Router<PetrelRequestContext>) {
        let document = ByteBuffer(bytes: Self.document)
        router.get("/openapi.yaml") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/yaml"], body: .init(byteBuffer: document))
        }
    }
}
