import NIOCore
import NIOHTTP1

/// Makes every connection end, and answers what the HTTP/1.1 layer below the router must: it sits
/// in the channel pipeline right after NIO's HTTP parser (see `PetrelHTTPChannel`), where the
/// protocol version, the `Connection` header and parse errors are still visible.
///
/// - Deadlines: once a request's first byte arrives its head must follow within
///   `HTTP_HEADER_TIMEOUT_SECONDS`; a body may pause at most `HTTP_BODY_TIMEOUT_SECONDS`.
///   Past either, the connection is closed. (Idle keep-alive connections are Hummingbird's
///   `idleTimeout`.)
/// - Keep-alive: `Connection: close` in any letter case or list, HTTP/1.0 without keep-alive, a
///   draining server, a 413, or an answer sent before the request body was read: the answer says
///   `Connection: close`, and after it the connection lingers (input read and discarded, up to
///   4 MiB or `MAX_BODY_BYTES` or a second of silence, so a client that writes its whole body
///   before reading gets its answer) and is then closed whole, never left half-closed.
/// - Framing: HTTP/1.1 without exactly one `Host` is 400, a target over 8 KiB 414, a transfer
///   coding other than chunked 501, headers over the parser's limit 431, any other parse error
///   400, each in the error shape with a request id; `Expect: 100-continue` gets `100 Continue`.
final class ConnectionLifetime: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private enum Phase {
        /// No request in progress: waiting for the first byte of the next one.
        case waiting
        /// Bytes of a request head arrived; the rest must follow before the header deadline.
        case readingHead
        /// Reading a request body; each part must follow before the body deadline.
        case readingBody
        /// The request is with the router.
        case handling
        /// The last answer is out and said `Connection: close`: discard input, then close.
        case lingering
    }

    private let limits: ConnectionLimits
    private let headerTimeout: TimeAmount
    private let bodyTimeout: TimeAmount
    private let isDraining: @Sendable () -> Bool
    private var phase = Phase.waiting
    private var requestEnded = true
    private var keepAlive = true
    private var http10 = false
    private var closeAfterResponse = false
    private var deadline: Scheduled<Void>?
    private var discarded = 0

    static let maximumTargetLength = 8 * 1024
    static let lingerQuietPeriod = TimeAmount.seconds(1)
    /// Read and discarded after an early answer at least this much, so a client that writes a
    /// whole body of a few MiB before reading still gets its answer instead of a reset.
    static let lingerDiscardFloor = 4 << 20

    init(limits: ConnectionLimits, isDraining: @escaping @Sendable () -> Bool) {
        self.limits = limits
        headerTimeout = TimeAmount(limits.headerTimeout)
        bodyTimeout = TimeAmount(limits.bodyTimeout)
        self.isDraining = isDraining
    }

    // MARK: - Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        guard phase != .lingering else { return discard(part, context: context) }
        switch part {
        case .head(let head):
            if let refusal = Self.framingRefusal(head) {
                answer(refusal, requestID: Self.requestID(head.headers), context: context)
                return
            }
            keepAlive = head.isKeepAlive
            http10 = head.version == .http1_0
            requestEnded = false
            closeAfterResponse = false
            if Self.hasBody(head) {
                phase = .readingBody
                schedule(bodyTimeout, context: context)
                if Self.expectsContinue(head), (head.headers["content-length"].first.flatMap(Int.init) ?? 0) <= limits.maxBodyBytes {
                    context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))), promise: nil)
                }
            } else {
                phase = .handling
                cancelDeadline()
            }
        case .body:
            schedule(bodyTimeout, context: context)
        case .end:
            requestEnded = true
            phase = .handling
            cancelDeadline()
        }
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // Bytes arrived that did not complete a request head: the header deadline starts.
        if phase == .waiting {
            phase = .readingHead
            schedule(headerTimeout, context: context)
        }
        context.fireChannelReadComplete()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // What a lingering client still sends need not parse: it is being discarded.
        if phase == .lingering, error is HTTPParserError { return }
        // A parse error before the router has the request: answer it here, in the error shape.
        guard let parseError = error as? HTTPParserError, phase == .waiting || phase == .readingHead else {
            context.fireErrorCaught(error)
            return
        }
        answer(Self.refusal(for: parseError), requestID: RequestIDMiddleware.newID(), context: context)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if phase == .lingering, case ChannelEvent.inputClosed = event {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelDeadline()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelDeadline()
    }

    // MARK: - Outbound

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head) where head.status.code >= 200:
            // A 413 closes too, as nginx's and Go's servers do: what follows a refused body is
            // not worth reading as the next request.
            closeAfterResponse = !keepAlive || !requestEnded || isDraining() || head.status == .payloadTooLarge
                || head.headers[canonicalForm: "connection"].contains { $0.lowercased() == "close" }
            if closeAfterResponse {
                head.headers.replaceOrAdd(name: "connection", value: "close")
            } else if http10 {
                head.headers.replaceOrAdd(name: "connection", value: "keep-alive")
            }
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .end:
            context.write(data, promise: promise)
            if closeAfterResponse {
                context.flush()
                linger(context: context)
            } else if phase == .handling {
                phase = .waiting
            }
        default:
            context.write(data, promise: promise)
        }
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        // Hummingbird half-closes after its own `Connection: close` answers; never leave it there.
        context.close(mode: mode, promise: promise)
        if mode == .output { linger(context: context, outputClosed: true) }
    }

    // MARK: - Ending

    /// Discards input until the client has stopped sending (a quiet second, the end of its input,
    /// or `MAX_BODY_BYTES` more), so its answer is read rather than reset; then closes.
    private func linger(context: ChannelHandlerContext, outputClosed: Bool = false) {
        guard phase != .lingering else { return }
        phase = .lingering
        discarded = 0
        if !outputClosed { context.close(mode: .output, promise: nil) }
        schedule(Self.lingerQuietPeriod, context: context)
    }

    private func discard(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        if case .body(let buffer) = part { discarded += buffer.readableBytes }
        if discarded > max(limits.maxBodyBytes, Self.lingerDiscardFloor) {
            context.close(promise: nil)
        } else {
            schedule(Self.lingerQuietPeriod, context: context)
        }
    }

    private func answer(_ refusal: Refusal, requestID: String, context: ChannelHandlerContext) {
        let body = JSONBody.encode(APIError.Body(error: .init(code: refusal.code, message: refusal.message, request_id: requestID)))
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/json")
        headers.add(name: "content-length", value: String(body.readableBytes))
        headers.add(name: "x-request-id", value: requestID)
        headers.add(name: "connection", value: "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: refusal.status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        linger(context: context)
    }

    /// Closes the connection after `timeout`, unless rescheduled or cancelled first.
    private func schedule(_ timeout: TimeAmount, context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) {
            context.close(promise: nil)
        }
    }

    private func cancelDeadline() {
        deadline?.cancel()
        deadline = nil
    }

    // MARK: - Rules

    struct Refusal {
        let status: HTTPResponseStatus
        let code: String
        let message: String
    }

    static func framingRefusal(_ head: HTTPRequestHead) -> Refusal? {
        if head.uri.utf8.count > maximumTargetLength {
            return Refusal(
                status: .uriTooLong, code: "uri_too_long", message: "the request target is longer than \(maximumTargetLength) bytes")
        }
        if head.version == .http1_1, head.headers["host"].count != 1 {
            return Refusal(status: .badRequest, code: "invalid_request", message: "an HTTP/1.1 request needs exactly one Host header")
        }
        let codings = head.headers[canonicalForm: "transfer-encoding"].map { $0.lowercased() }
        if !codings.isEmpty, codings != ["chunked"] {
            return Refusal(
                status: .notImplemented, code: "not_implemented", message: "only the chunked transfer coding is supported for request bodies")
        }
        return nil
    }

    static func refusal(for error: HTTPParserError) -> Refusal {
        switch error {
        case .headerOverflow:
            Refusal(
                status: .requestHeaderFieldsTooLarge, code: "request_header_fields_too_large",
                message: "the request headers are larger than the server accepts")
        case .invalidURL:
            Refusal(status: .badRequest, code: "invalid_request", message: "the request target is not a valid URL")
        default:
            Refusal(status: .badRequest, code: "invalid_request", message: "the request is not valid HTTP/1.1 (\(error))")
        }
    }

    private static func hasBody(_ head: HTTPRequestHead) -> Bool {
        head.headers.contains(name: "transfer-encoding") || (head.headers["content-length"].first.flatMap(Int.init) ?? 0) > 0
    }

    private static func expectsContinue(_ head: HTTPRequestHead) -> Bool {
        head.version == .http1_1 && head.headers["expect"].contains { $0.lowercased() == "100-continue" }
    }

    private static func requestID(_ headers: HTTPHeaders) -> String {
        headers["x-request-id"].first.flatMap(RequestIDMiddleware.validated) ?? RequestIDMiddleware.newID()
    }
}
