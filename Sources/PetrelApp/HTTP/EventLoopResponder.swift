import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Answers `InstantRoute`s on the connection's event loop, in the channel pipeline ahead of
/// Hummingbird's async request handling, so those requests skip the hop into Swift concurrency
/// and back (the async sequence, the task switch, the async writer): on `/hello` that is most of
/// the server's cost per request.
///
/// It is a shortcut, not a second server. It takes only a request it can answer exactly as the
/// router would: GET of an instant route's path with no query, no body and no `Connection`
/// header but `keep-alive`, while fault injection is off and no earlier request of the connection is still with
/// the router (answering then would put this response ahead of that one). Every other request
/// passes through untouched. Each answer gets its request id by the same rules and is timed,
/// counted and logged by the same `RequestTelemetry` as the router's.
final class EventLoopResponder: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private struct Accepted {
        let route: InstantRoute
        let requestID: String
        let start: ContinuousClock.Instant
    }

    private let routes: [String: InstantRoute]
    private let telemetry: RequestTelemetry
    private let faults: FaultInjector
    private let date: HTTPDate

    /// Requests passed to the router whose response has not been written yet.
    private var withRouter = 0
    /// A request taken here whose end has not arrived yet.
    private var accepted: Accepted?
    /// A quiesce (graceful shutdown) that arrived while `accepted` was set: passed on once it is
    /// answered, because the connection handler behind this one would close an idle connection
    /// at once, and a request taken here is invisible to it.
    private var quiesceHeld = false
    private var needsFlush = false

    init(routes: [String: InstantRoute], telemetry: RequestTelemetry, faults: FaultInjector, date: HTTPDate) {
        self.routes = routes
        self.telemetry = telemetry
        self.faults = faults
        self.date = date
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            guard withRouter == 0, let route = instantRoute(for: head) else {
                withRouter += 1
                context.fireChannelRead(data)
                return
            }
            telemetry.started()
            let requestID = head.headerFields[.requestID].flatMap(RequestIDMiddleware.validated) ?? RequestIDMiddleware.newID()
            accepted = Accepted(route: route, requestID: requestID, start: .now)
        case .body:
            // A request taken here declared no body (see `instantRoute(for:)`), so this is the router's.
            context.fireChannelRead(data)
        case .end:
            guard let accepted else {
                context.fireChannelRead(data)
                return
            }
            self.accepted = nil
            answer(accepted, context: context)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flushIfNeeded(context: context)
        context.fireChannelReadComplete()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        // Only the router's responses pass here; this handler's own go out from its context.
        // Hummingbird answers a parse error with a response of its own, hence the floor.
        if case .end = unwrapOutboundIn(data), withRouter > 0 { withRouter -= 1 }
        context.write(data, promise: promise)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent, accepted != nil {
            quiesceHeld = true
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if accepted != nil {
            accepted = nil
            telemetry.abandoned()
        }
        context.fireChannelInactive()
    }

    private func instantRoute(for head: HTTPRequest) -> InstantRoute? {
        guard head.method == .get, let path = head.path, let route = routes[path] else { return nil }
        let fields = head.headerFields
        guard fields[.contentLength] == nil, fields[.transferEncoding] == nil, !faults.isEnabled else { return nil }
        // Hummingbird closes after a response when asked to; that stays its job.
        if let connection = fields[.connection], !Self.isKeepAlive(connection) { return nil }
        return route
    }

    private static func isKeepAlive(_ connection: String) -> Bool {
        connection.utf8.count == 10 && connection.lowercased() == "keep-alive"
    }

    private func answer(_ accepted: Accepted, context: ChannelHandlerContext) {
        let response = accepted.route.respond(accepted.requestID)
        var headers = response.headers
        headers[.contentLength] = String(response.body.readableBytes)
        headers[.requestID] = accepted.requestID
        headers[.date] = date.current
        context.write(wrapOutboundOut(.head(HTTPResponse(status: response.status, headerFields: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(response.body)), promise: nil)
        context.write(wrapOutboundOut(.end(nil)), promise: nil)
        needsFlush = true
        telemetry.finished(
            method: .get, path: accepted.route.path, route: accepted.route.path, status: response.status.code,
            duration: .now - accepted.start, requestID: accepted.requestID)
        if quiesceHeld {
            quiesceHeld = false
            flushIfNeeded(context: context)
            context.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        }
    }

    private func flushIfNeeded(context: ChannelHandlerContext) {
        guard needsFlush else { return }
        needsFlush = false
        context.flush()
    }
}
