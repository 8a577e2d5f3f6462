import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypesHTTP1

/// Hummingbird's HTTP/1.1 channel with an `EventLoopResponder` right after the HTTP parser,
/// ahead of the conversion to swift-http-types. (`HTTP1Channel`'s own extra handlers go after
/// that conversion, where the responder would pay for it on every request it answers.)
///
/// Hummingbird's idle timeout stays off (`HTTP1Channel`'s default): its connection handler does
/// not see the requests answered here and would count a connection busy with them as idle.
struct PetrelHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value

    let http1: HTTP1Channel
    /// Called once per connection: the responder keeps that connection's state.
    let makeResponder: @Sendable () -> EventLoopResponder?

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        http1.setup(channel: channel, logger: logger).flatMapThrowing { value in
            if let responder = makeResponder() {
                let pipeline = channel.pipeline.syncOperations
                try pipeline.addHandler(responder, position: .before(try pipeline.handler(type: HTTP1ToHTTPServerCodec.self)))
            }
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await http1.handle(value: value, logger: logger)
    }
}
