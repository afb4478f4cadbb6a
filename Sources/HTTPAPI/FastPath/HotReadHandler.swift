import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Answers `HotReads` on the event loop, right after HTTP decoding and before Hummingbird's
/// request handling. Hummingbird's async path (a task switch, async sequences and an async
/// writer per request) cost as much CPU again as the rest of a read: with it, `GET /health`
/// took 80–110 µs of gateway CPU per request (`bench/shadow_rest`).
///
/// Responses stay in request order: while a request passed on to Hummingbird has not been
/// answered to its end, later requests on the connection are passed on as well.
final class HotReadHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let reads: HotReads
    /// Requests passed on whose response has not ended yet.
    private var passedOn = 0
    /// The rest (body, end) of a request answered here is dropped.
    private var dropping = false
    private var needsFlush = false

    init(reads: HotReads) {
        self.reads = reads
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        switch part {
        case .head(let request):
            if passedOn == 0, let answer = reads.answer(request) {
                dropping = true
                context.write(wrapOutboundOut(.head(answer.head)), promise: nil)
                if let body = answer.body { context.write(wrapOutboundOut(.body(body)), promise: nil) }
                context.write(wrapOutboundOut(.end(nil)), promise: nil)
                needsFlush = true
            } else {
                passedOn += 1
                context.fireChannelRead(data)
            }
        case .body:
            if !dropping { context.fireChannelRead(data) }
        case .end:
            if dropping {
                dropping = false
            } else {
                context.fireChannelRead(data)
            }
        }
    }

    /// Responses answered here leave together once everything read so far was handled.
    func channelReadComplete(context: ChannelHandlerContext) {
        if needsFlush {
            needsFlush = false
            context.flush()
        }
        context.fireChannelReadComplete()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data), passedOn > 0 { passedOn -= 1 }
        context.write(data, promise: promise)
    }
}
