import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypesHTTP1

/// Answers `InstantRoute`s on the connection's event loop, in the channel pipeline right after
/// the HTTP parser (see `PetrelHTTP1Channel`), so those requests skip the hop into Swift
/// concurrency and back (the async sequence, the task switch, the async writer) and the
/// conversion of every request and response to swift-http-types: on `/hello` that is most of
/// the server's cost per request.
///
/// It is a shortcut, not a second server. It takes only a request it can answer exactly as the
/// router would: an HTTP/1.1 GET of an instant route's path with no query, no body and no
/// `Connection` header but `keep-alive`, while fault injection is off and no earlier request of
/// the connection is still with the router (answering then would put this response ahead of
/// that one). Every other request passes through untouched. Each answer gets its request id by
/// the same rules and is timed, counted and logged by the same `RequestTelemetry` as the router's.
final class EventLoopResponder: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

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
    /// answered, because Hummingbird's connection handler would close an idle connection at
    /// once, and a request taken here is invisible to it.
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
            accepted = Accepted(route: route, requestID: Self.requestID(head.headers), start: .now)
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

    private func instantRoute(for head: HTTPRequestHead) -> InstantRoute? {
        guard head.method == .GET, head.version == .http1_1, let route = routes[head.uri] else { return nil }
        let headers = head.headers
        guard !headers.contains(name: "content-length"), !headers.contains(name: "transfer-encoding"), !faults.isEnabled
        else { return nil }
        // Hummingbird closes after a response when asked to; that stays its job.
        let connection = headers["connection"]
        guard connection.isEmpty || (connection.count == 1 && connection[0].lowercased() == "keep-alive") else { return nil }
        return route
    }

    /// As `RequestIDMiddleware` decides: swift-http-types joins repeated fields with ", ", which
    /// no valid id contains, so more than one is as good as none.
    private static func requestID(_ headers: HTTPHeaders) -> String {
        let given = headers["x-request-id"]
        return (given.count == 1 ? RequestIDMiddleware.validated(given[0]) : nil) ?? RequestIDMiddleware.newID()
    }

    private func answer(_ accepted: Accepted, context: ChannelHandlerContext) {
        let response = accepted.route.respond(accepted.requestID)
        // Converted as Hummingbird's responses are, and the fields it adds in the order it adds
        // them, so the header names, order and values are the router's.
        var headers = HTTPHeaders(response.headers)
        headers.add(name: HTTPField.Name.contentLength.rawName, value: String(response.body.readableBytes))
        headers.add(name: HTTPField.Name.requestID.rawName, value: accepted.requestID)
        headers.add(name: HTTPField.Name.date.rawName, value: date.current)
        let head = HTTPResponseHead(version: .http1_1, status: .init(statusCode: response.status.code), headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(response.body))), promise: nil)
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
