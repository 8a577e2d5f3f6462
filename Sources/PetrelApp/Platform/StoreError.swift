/// What a store can fail with, in the store's terms. `ErrorMiddleware` is the one place these
/// become HTTP answers (412, 503, 500), so no store or route knows about status codes.
enum StoreError: Error, Equatable {
    /// A conditional write whose condition no longer holds: the record changed or is gone since
    /// the caller read it. The backend worked; this is an answer, not an outage.
    case preconditionFailed
    /// The backend could not be reached or did not answer in time; retrying later can help.
    case unavailable(dependency: String)
    /// The backend refused the request as malformed: a bug or a misconfiguration, not an outage.
    case refused(dependency: String)
}
