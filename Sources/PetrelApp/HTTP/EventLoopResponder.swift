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
/// `Connection` header but `keep-alive`, while fault injection is off, the socket takes more
/// output, and no earlier request of the connection is still with the router (answering then
/// would put this response ahead of that one). Every other request passes through untouched.
/// Each answer gets its request id by the same rules and is timed, counted and logged by the
/// same `RequestTelemetry` as the router's.
final class EventLoopResponder: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let routes: [String: InstantRoute]
    private let telemetry: RequestTelemetry
    private let faults: FaultInjector
    private let date: HTTPDate

    /// Requests passed to the router whose response has not been written yet.
    private var withRouter = 0
    /// Set once the router has a request that asked for `Connection: close`, or the server is
    /// shutting down: Hummingbird then decides which later requests get an answer, if any.
    private var routerOnly = false
    /// The parser's end of a request answered here at its head (a GET without a body ends there).
    private var endToSkip = false
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
            let connection = head.headers[canonicalForm: "connection"]
            if let route = instantRoute(for: head, connection: connection, context: context) {
                endToSkip = true
                answer(head, route, context: context)
            } else {
                withRouter += 1
                if connection.contains(where: { $0.lowercased() == "close" }) { routerOnly = true }
                context.fireChannelRead(data)
            }
        case .body:
            // A request answered here declared no body (see `instantRoute(for:)`), so this is the router's.
            context.fireChannelRead(data)
        case .end:
            if endToSkip {
                endToSkip = false
            } else {
                context.fireChannelRead(data)
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // One flush for the answers to everything this read brought (pipelined requests).
        if needsFlush {
            needsFlush = false
            context.flush()
        }
        context.fireChannelReadComplete()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        // Only the router's responses pass here; this handler's own go out from its context.
        // Hummingbird answers a parse error with a response of its own, hence the floor.
        if case .end = unwrapOutboundIn(data), withRouter > 0 { withRouter -= 1 }
        context.write(data, promise: promise)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        // From now on Hummingbird decides which requests still get an answer.
        routerOnly = true
        passQuiesceOnceWritten(context: context)
    }

    /// Hummingbird's connection handler closes a connection it thinks idle at once, and answers
    /// given here are invisible to it: closing would discard those NIO still holds because the
    /// socket was full. So the quiesce waits until NIO holds nothing. Checked on a timer rather
    /// than by a promise on every answer, which would cost each request a future for what only
    /// a shutdown with a slow reader needs.
    private func passQuiesceOnceWritten(context: ChannelHandlerContext) {
        let buffered = (try? context.channel.syncOptions?.getOption(.bufferedWritableBytes)) ?? 0
        guard buffered > 0, context.channel.isActive else {
            context.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
            return
        }
        context.eventLoop.assumeIsolated().scheduleTask(in: Self.writtenCheckInterval) {
            self.passQuiesceOnceWritten(context: context)
        }
    }

    private static let writtenCheckInterval = TimeAmount.milliseconds(10)

    /// `connection`: the request's `Connection` tokens.
    private func instantRoute(
        for head: HTTPRequestHead, connection: [Substring], context: ChannelHandlerContext
    ) -> InstantRoute? {
        guard head.method == .GET, head.version == .http1_1, let route = routes[head.uri] else { return nil }
        // A client that does not read its answers gets the router's backpressure.
        guard withRouter == 0, !routerOnly, context.channel.isWritable, !faults.isEnabled else { return nil }
        guard !head.headers.contains(name: "content-length"), !head.headers.contains(name: "transfer-encoding") else { return nil }
        // Hummingbird closes after a response when asked to; that stays its job.
        guard connection.isEmpty || (connection.count == 1 && connection[0].lowercased() == "keep-alive") else { return nil }
        return route
    }

    /// As `RequestIDMiddleware` decides on the router's swift-http-types fields, which trim
    /// surrounding whitespace and join repeated fields with ", " (no valid id contains that).
    private static func requestID(_ headers: HTTPHeaders) -> String {
        let given = headers["x-request-id"]
        let value = given.count == 1 ? HTTPField(name: .requestID, value: given[0]).value : nil
        return value.flatMap(RequestIDMiddleware.validated) ?? RequestIDMiddleware.newID()
    }

    private func answer(_ request: HTTPRequestHead, _ route: InstantRoute, context: ChannelHandlerContext) {
        let start = ContinuousClock.now
        telemetry.started()
        let requestID = Self.requestID(request.headers)
        let response = route.respond(requestID)
        // Converted as Hummingbird's responses are, and the fields it adds in the order it adds
        // them, so the header names, order and values are the router's.
        var headers = HTTPHeaders(response.headers)
        headers.add(name: HTTPField.Name.contentLength.rawName, value: String(response.body.readableBytes))
        headers.add(name: HTTPField.Name.requestID.rawName, value: requestID)
        headers.add(name: HTTPField.Name.date.rawName, value: date.current)
        let head = HTTPResponseHead(version: .http1_1, status: .init(statusCode: response.status.code), headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(response.body))), promise: nil)
        context.write(wrapOutboundOut(.end(nil)), promise: nil)
        needsFlush = true
        telemetry.finished(
            method: .get, path: route.path, route: route.path, status: response.status.code, duration: .now - start,
            requestID: requestID)
    }

}
