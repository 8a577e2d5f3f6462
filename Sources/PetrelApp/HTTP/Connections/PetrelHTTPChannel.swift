import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypesHTTP1

/// Hummingbird's HTTP/1.1 channel, with its idle timeout, plus `ConnectionLifetime` right after
/// NIO's HTTP parser. (`HTTP1Channel`'s own extra handlers go after the conversion to
/// swift-http-types, where the protocol version and the `Connection` header are gone.)
struct PetrelHTTPChannel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value

    let http1: HTTP1Channel
    let limits: ConnectionLimits
    let isDraining: @Sendable () -> Bool

    init(responder: @escaping HTTPChannelHandler.Responder, limits: ConnectionLimits, isDraining: @escaping @Sendable () -> Bool) {
        http1 = HTTP1Channel(responder: responder, configuration: .init(idleTimeout: TimeAmount(limits.idleTimeout)))
        self.limits = limits
        self.isDraining = isDraining
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        http1.setup(channel: channel, logger: logger).flatMapThrowing { [limits, isDraining] value in
            let pipeline = channel.pipeline.syncOperations
            let lifetime = ConnectionLifetime(limits: limits, isDraining: isDraining)
            try pipeline.addHandler(lifetime, position: .before(try pipeline.handler(type: HTTP1ToHTTPServerCodec.self)))
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await http1.handle(value: value, logger: logger)
    }
}
