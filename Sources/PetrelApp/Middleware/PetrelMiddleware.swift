import Hummingbird

/// Petrel's middleware, outermost first, as one middleware of concrete types. Added to the router
/// one by one, each would be called through an existential and a closure with its own async frame
/// and executor check, about 2,000 instructions apiece on `/hello`. Nested here, with every
/// member's `handle` marked `@inline(__always)`, the chain compiles to one async function with one
/// frame. A class, so the router's per-request copy of it is one retain rather than one per field.
final class PetrelMiddleware: RouterMiddleware, Sendable {
    typealias Context = PetrelRequestContext

    let requestID: RequestIDMiddleware
    let telemetry: TelemetryMiddleware
    let errors: ErrorMiddleware
    let bodyLimit: BodyLimitMiddleware
    let faults: FaultMiddleware

    init(
        requestID: RequestIDMiddleware, telemetry: TelemetryMiddleware, errors: ErrorMiddleware,
        bodyLimit: BodyLimitMiddleware, faults: FaultMiddleware
    ) {
        self.requestID = requestID
        self.telemetry = telemetry
        self.errors = errors
        self.bodyLimit = bodyLimit
        self.faults = faults
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        try await requestID.handle(request, context: context) { request, context in
            try await telemetry.handle(request, context: context) { request, context in
                try await errors.handle(request, context: context) { request, context in
                    try await bodyLimit.handle(request, context: context) { request, context in
                        try await faults.handle(request, context: context, next: next)
                    }
                }
            }
        }
    }
}
