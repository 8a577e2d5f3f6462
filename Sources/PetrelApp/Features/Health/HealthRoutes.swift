import Hummingbird
import Logging

/// Liveness (`/healthz` and aliases): 200 while the process can serve, no dependency checks, so a
/// slow backend never gets pods restarted. Readiness (`/readiness` and aliases): 200 only when
/// every gate in `Readiness` is open, answered from memory. Plus the operator's drain switch, on
/// the admin listener.
struct HealthRoutes {
    let readiness: Readiness

    static let livenessPaths = ["/healthz", "/livez", "/alive", "/health"]
    static let readinessPaths = ["/readiness", "/readyz", "/ready"]

    struct Alive: ResponseEncodable {
        let status = "UP"
    }

    /// The probes, on the public listener, where the kubelet and load balancer send them.
    func add(to router: Router<PetrelRequestContext>) {
        for path in Self.livenessPaths {
            router.get(RouterPath(path)) { _, _ in Alive() }
        }
        for path in Self.readinessPaths {
            router.get(RouterPath(path)) { _, context in Self.response(for: readiness.status, requestID: context.requestID) }
        }
    }

    /// The operator's switch, on the admin listener; `operations` needs an API key.
    func addSwitch(to operations: RouterGroup<PetrelRequestContext>) {
        operations.post("/readiness/disable") { _, context in
            readiness.setOperatorDisabled(true)
            context.logger.warning("readiness disabled by an operator")
            return Self.response(for: readiness.status, requestID: context.requestID)
        }
        operations.post("/readiness/enable") { _, context in
            readiness.setOperatorDisabled(false)
            context.logger.notice("readiness enabled by an operator")
            return Self.response(for: readiness.status, requestID: context.requestID)
        }
    }

    /// 200 `{"status":"READY","checks":{…}}`, or 503 with the failing gates named and the error shape.
    struct Body: Encodable {
        let status: String
        let checks: [String: String]
        let error: APIError.Body.Detail?
    }

    static func response(for status: Readiness.Status, requestID: String) -> Response {
        let reasons = status.failing.map { "\($0.name): \($0.result)" }.joined(separator: "; ")
        let body = Body(
            status: status.isReady ? "READY" : "NOT_READY",
            checks: Dictionary(status.checks.map { ($0.name, $0.result) }) { first, _ in first },
            error: status.isReady ? nil : .init(code: "not_ready", message: "not ready: \(reasons)", request_id: requestID))
        return JSONBody.response(body, status: status.isReady ? .ok : .serviceUnavailable, headers: [.cacheControl: "no-store"])
    }
}
