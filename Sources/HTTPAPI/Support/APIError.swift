import Foundation
import HTTPTypes
import Hummingbird
import IoTCore

/// An error answered as JSON `{"code": …, "message": …}` with its HTTP status.
public struct APIError: HTTPResponseError, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String

    public init(_ status: HTTPResponse.Status, code: String, message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public var description: String { "\(status.code) \(code): \(message)" }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        // AWS SDKs read the error type from this header when the body does not say it.
        headers[HTTPField.Name("x-amzn-ErrorType")!] = code
        let body: JSONValue = ["code": .string(code), "message": .string(message)]
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body.serializedBytes())))
    }

    static func badRequest(_ message: String) -> APIError { APIError(.badRequest, code: "InvalidRequestException", message: message) }
    static func notFound(_ message: String) -> APIError { APIError(.notFound, code: "ResourceNotFoundException", message: message) }
    static let unauthorized = APIError(
        .unauthorized, code: "UnauthorizedException",
        message: "Missing or invalid API key: send it as 'x-api-key: <secret>' or 'Authorization: Bearer <secret>'.")
}
