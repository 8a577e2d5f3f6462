import Hummingbird

/// Applies the `FaultInjector` to application routes. Probes, /metrics and the fault switches
/// themselves are exempt, so a faulted pod is still probed truthfully and can be switched back.
struct FaultMiddleware: RouterMiddleware {
    typealias Context = PetrelRequestContext

    let faults: FaultInjector

    static let exemptPrefixes = ["/faults/", "/readiness/"]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard faults.isEnabled else { return try await next(request, context) }
        let path = request.uri.path
        guard !TelemetryMiddleware.quietRoutes.contains(path), !Self.exemptPrefixes.contains(where: path.hasPrefix) else {
            return try await next(request, context)
        }
        let (delay, fail) = faults.decide()
        if delay > .zero { try await Task.sleep(for: delay) }
        if fail {
            throw APIError(.internalServerError, code: "injected_fault", "fault injection is on (POST /faults/disable turns it off)")
        }
        return try await next(request, context)
    }
}
