import Hummingbird
import IoTCore

extension Response {
    /// A JSON response from a `JSONValue`, serialized without Foundation.
    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:]) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        headers.append(contentsOf: extra)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: value.serializedBytes())))
    }
}

extension Request {
    /// An integer query parameter within bounds, or a 400 naming the parameter.
    func intQuery(_ name: String, default value: Int? = nil, range: ClosedRange<Int>) throws -> Int? {
        guard let raw = uri.queryParameters.get(name) else { return value }
        guard let v = Int(raw), range.contains(v) else {
            throw APIError.badRequest(
                "Query parameter '\(name)' must be an integer from \(range.lowerBound) to \(range.upperBound); got '\(raw)'.")
        }
        return v
    }
}
