import Hummingbird
import Logging

/// Liveness (`/healthz` and aliases): 200 while the process can serve, no dependency checks, so a
/// slow backend never gets pods restarted. Readiness (`/readiness` and aliases): 200 only when
/// every gate in `Readiness` is open, answered from memory. Plus the operator's drain switch.
struct HealthRoutes {
    let readiness: Readiness
    let apiKeys: APIKeys
    let logger: Logger

    static let livenessPaths = ["/healthz", "/livez", "/alive", "/health"]
    static let readinessPaths = ["/readiness", "/readyz", "/ready"]

    /// The probes: answered from memory, so also from the event loop (see `InstantRoute`).
    var instantRoutes: [InstantRoute] {
        let alive = PreencodedJSON([("status", "UP")]).instantResponse()
        let readiness = self.readiness
        return Self.livenessPaths.map { path in InstantRoute(path: path) { _ in alive } }
            + Self.readinessPaths.map { path in
                InstantRoute(path: path) { requestID in Self.response(for: readiness.status, requestID: requestID) }
            }
    }

    func add(to router: Router<PetrelRequestContext>) {
        for route in instantRoutes { router.add(route) }
        router.post("/readiness/disable") { request, context in
            try apiKeys.authorize(request)
            readiness.setOperatorDisabled(true)
            logger.warning("readiness disabled by an operator", metadata: ["request_id": .string(context.requestID)])
            return Self.response(for: readiness.status, requestID: context.requestID).response
        }
        router.post("/readiness/enable") { request, context in
            try apiKeys.authorize(request)
            readiness.setOperatorDisabled(false)
            logger.notice("readiness enabled by an operator", metadata: ["request_id": .string(context.requestID)])
            return Self.response(for: readiness.status, requestID: context.requestID).response
        }
    }

    /// 200 `{"status":"READY","checks":{…}}`, or 503 with the failing gates named and the error shape.
    static func response(for status: Readiness.Status, requestID: String) -> InstantResponse {
        var body: [UInt8] = []
        body.append(contentsOf: #"{"status":"#.utf8)
        JSONText.appendString(status.isReady ? "READY" : "NOT_READY", to: &body)
        body.append(contentsOf: #","checks":{"#.utf8)
        for (index, check) in status.checks.enumerated() {
            if index > 0 { body.append(UInt8(ascii: ",")) }
            JSONText.appendString(check.name, to: &body)
            body.append(UInt8(ascii: ":"))
            JSONText.appendString(check.result, to: &body)
        }
        body.append(UInt8(ascii: "}"))
        if !status.isReady {
            let reasons = status.failing.map { "\($0.name): \($0.result)" }.joined(separator: "; ")
            body.append(contentsOf: #","error":{"code":"not_ready","message":"#.utf8)
            JSONText.appendString("not ready: \(reasons)", to: &body)
            body.append(contentsOf: #","request_id":"#.utf8)
            JSONText.appendString(requestID, to: &body)
            body.append(UInt8(ascii: "}"))
        }
        body.append(UInt8(ascii: "}"))
        return InstantResponse(
            status: status.isReady ? .ok : .serviceUnavailable,
            headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: ByteBuffer(bytes: body))
    }
}
