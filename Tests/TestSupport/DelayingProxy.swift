import NIOCore
import NIOPosix

/// A TCP proxy on 127.0.0.1 that holds everything the upstream sends for `delay`: a backend that
/// works, only slowly. Requests pass at once; each connection gets its own upstream connection.
public final class DelayingProxy: Sendable {
    public let port: Int
    private let channel: any Channel

    public init(upstreamPort: Int, delay: Duration) async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let answerDelay = TimeAmount(delay)
        channel = try await ServerBootstrap(group: group)
            // Nothing is read from the client before its upstream connection is there to take it.
            .childChannelOption(.autoRead, value: false)
            .childChannelInitializer { client in
                ClientBootstrap(group: client.eventLoop).connect(host: "127.0.0.1", port: upstreamPort).flatMap { upstream in
                    client.eventLoop.makeCompletedFuture {
                        try upstream.pipeline.syncOperations.addHandler(Forwarder(peer: client, delay: answerDelay))
                        try client.pipeline.syncOperations.addHandler(Forwarder(peer: upstream, delay: nil))
                    }.flatMap { client.setOption(.autoRead, value: true) }
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        port = channel.localAddress?.port ?? 0
    }

    deinit { channel.close(promise: nil) }

    public func stop() async throws {
        try await channel.close()
    }
}

/// Writes what one side reads to the other, after `delay` when there is one (in order: the
/// deadlines only grow), and closes the other side when this one closes.
private final class Forwarder: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let peer: any Channel
    let delay: TimeAmount?

    init(peer: any Channel, delay: TimeAmount?) {
        self.peer = peer
        self.delay = delay
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data)
        guard let delay else {
            peer.writeAndFlush(bytes, promise: nil)
            return
        }
        context.eventLoop.scheduleTask(in: delay) { [peer] in peer.writeAndFlush(bytes, promise: nil) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        let close: @Sendable () -> Void = { [peer] in peer.close(promise: nil) }
        if let delay { context.eventLoop.scheduleTask(in: delay, close) } else { close() }
    }
}
