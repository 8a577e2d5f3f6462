import Hummingbird

/// Applies the `FaultInjector` to the public listener's routes. Probes are exempt, so a faulted pod
/// is still probed truthfully; the switches are on the admin listener, which has no faults.
struct FaultMiddleware: RouterMiddleware {
    typealias Context = PetrelRequestContext

    let faults: FaultInjector

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard faults.isEnabled, !TelemetryMiddleware.quietRoutes.contains(request.uri.path) else {
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
