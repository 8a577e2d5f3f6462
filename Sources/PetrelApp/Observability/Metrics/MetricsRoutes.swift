import Hummingbird

/// `GET /metrics`: the Prometheus text exposition of this process.
struct MetricsRoutes {
    let metrics: PetrelMetrics
    let readiness: Readiness

    static let path = "/metrics"

    func add(to router: Router<PetrelRequestContext>) {
        router.get(RouterPath(Self.path)) { _, _ in
            let text = metrics.exposition(isReady: readiness.status.isReady, uptime: readiness.uptime.seconds)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(bytes: text)))
        }
    }
}
