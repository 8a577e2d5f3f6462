import Foundation
import Hummingbird
import NIOFoundationCompat

/// Fault injection endpoints: `/status/{code}` answers with a chosen status, `/delay/{seconds}`
/// answers after a (capped) wait, and the operator switches turn random faults on and off. All on
/// the admin listener: none of them is for the public edge.
struct FaultRoutes {
    let faults: FaultInjector

    static let maximumDelaySeconds = 10.0

    /// The statuses `/status/{code}` serves: the ones worth simulating, and few enough that the
    /// duration histogram's `status` label stays small (each code is a series set per route).
    static let statusCodes: Set<Int> = [
        200, 201, 202, 204, 301, 302, 304, 307, 308, 400, 401, 403, 404, 405, 408, 409, 410, 413, 415, 418, 422, 429,
        500, 501, 502, 503, 504,
    ]

    struct StatusBody: ResponseEncodable {
        let status: String
    }

    struct DelayBody: ResponseEncodable {
        let delayed_seconds: String
    }

    /// `operations`: the routes that need an API key.
    func add(to router: Router<PetrelRequestContext>, operations: RouterGroup<PetrelRequestContext>) {
        router.get("/status/{code}") { _, context in
            let code = try context.parameters.require("code", as: Int.self)
            guard Self.statusCodes.contains(code) else {
                let allowed = Self.statusCodes.sorted().map(String.init).joined(separator: ", ")
                throw APIError.badRequest("code must be one of \(allowed)")
            }
            let status = HTTPResponse.Status(code: code)
            // 204 and 304 carry no body: NIO drops Content-Length for them, so body bytes would be
            // read as the start of the next response on a keep-alive connection.
            guard status != .noContent, status != .notModified else { return Response(status: status) }
            return JSONBody.response(StatusBody(status: String(code)), status: status)
        }
        router.get("/delay/{seconds}") { _, context in
            let seconds = try context.parameters.require("seconds", as: Double.self)
            guard seconds.isFinite, (0...Self.maximumDelaySeconds).contains(seconds) else {
                throw APIError.badRequest("seconds must be a number from 0 to \(Self.maximumDelaySeconds.formatted)")
            }
            try await Task.sleep(for: .milliseconds(Int64(seconds * 1000)))
            return DelayBody(delayed_seconds: seconds.formatted)
        }
        operations.post("/faults/enable") { request, context in
            let change = try await Self.decodeChange(request, context)
            let settings = faults.update { settings in
                settings.enabled = true
                if let rate = change.errorRate { settings.errorRate = rate }
                if let delay = change.maximumDelayMilliseconds { settings.maximumDelayMilliseconds = delay }
            }
            context.logger.warning(
                "fault injection enabled",
                metadata: [
                    "error_rate": .stringConvertible(settings.errorRate), "delay_ms": .stringConvertible(settings.maximumDelayMilliseconds),
                ])
            return settings
        }
        operations.post("/faults/disable") { _, context in
            let settings = faults.update { $0.enabled = false }
            context.logger.notice("fault injection disabled")
            return settings
        }
        router.get("/faults") { _, _ in faults.current }
    }

    struct Change: Decodable {
        var errorRate: Double?
        var maximumDelayMilliseconds: Int?

        enum CodingKeys: String, CodingKey {
            case errorRate = "error_rate"
            case maximumDelayMilliseconds = "delay_ms"
        }
    }

    /// The optional body of `/faults/enable`; an empty body keeps the current settings.
    static func decodeChange(_ request: Request, _ context: PetrelRequestContext) async throws -> Change {
        var request = request
        let body = try await request.collectBody(upTo: context.maxUploadSize)
        guard body.readableBytes > 0 else { return Change() }
        let change = try JSONDecoder().decode(Change.self, from: body)
        if let rate = change.errorRate, !(0...1).contains(rate) {
            throw APIError.badRequest("error_rate must be a number from 0 to 1")
        }
        if let delay = change.maximumDelayMilliseconds, !(0...10_000).contains(delay) {
            throw APIError.badRequest("delay_ms must be a whole number from 0 to 10000")
        }
        return change
    }
}

extension FaultInjector.Settings: ResponseEncodable {}
