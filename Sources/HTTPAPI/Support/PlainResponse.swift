import Hummingbird
import NIOCore

/// A response whose body is known bytes, or nothing. Routes hand it to Hummingbird as `response`;
/// `HotReadHandler` writes the same head and body as HTTP parts itself, so both send the same bytes.
struct PlainResponse {
    var status: HTTPResponse.Status
    var headers: HTTPFields
    var body: ByteBuffer?

    /// Hummingbird adds `Content-Length` here, from the body.
    var response: Response {
        Response(status: status, headers: headers, body: body.map { ResponseBody(byteBuffer: $0) } ?? ResponseBody())
    }
}
