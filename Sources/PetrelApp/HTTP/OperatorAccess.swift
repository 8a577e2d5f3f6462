import Hummingbird

/// Who may use the operator endpoints (readiness and fault switches). API keys arrive with the
/// city API; until a key file is configured these endpoints are open in development only, so a
/// production pod can never be drained by an anonymous request.
struct OperatorAccess: Sendable {
    let environment: AppEnvironment

    func authorize(_ request: Request) throws {
        guard environment == .development else {
            throw APIError(
                .forbidden, code: "forbidden",
                "operator endpoints are open only with APP_ENV=development until API keys are configured")
        }
    }
}
