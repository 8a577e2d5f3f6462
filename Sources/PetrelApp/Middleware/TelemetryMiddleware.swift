import Hummingbird

/// Times, counts and logs every request the router answers (see `RequestTelemetry`).
struct TelemetryMiddleware: RouterMiddleware {
    typealias Context = PetrelRequestContext

    let telemetry: RequestTelemetry

    @inline(__always)
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        telemetry.started()
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            // The error middleware answers every error; this only keeps the books straight if one escapes.
            finished(request, context, status: 500, duration: ContinuousClock.now - start)
            throw error
        }
        finished(request, context, status: response.status.code, duration: ContinuousClock.now - start)
        return response
    }

    private func finished(_ request: Request, _ context: Context, status: Int, duration: Duration) {
        let route = context.endpointPath.flatMap { $0 == "NotFound" ? nil : $0 } ?? RequestTelemetry.unmatchedRoute
        telemetry.finished(
            method: request.method, path: request.uri.path, route: route, status: status, duration: duration,
            requestID: context.requestID)
    }
}
