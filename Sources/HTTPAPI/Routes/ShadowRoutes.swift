import Gateway
import HTTPTypes
import Hummingbird
import IoTCore
import Shadows

extension GatewayAPI {
    /// AWS iot-data shadow operations: GetThingShadow, UpdateThingShadow,
    /// DeleteThingShadow and ListNamedShadowsForThing, with AWS's paths and bodies.
    func addShadowRoutes(to router: Router<APIRequestContext>) {
        // Reads with an API key header are usually answered by `HotReadHandler` before they get
        // here; the answer is the same either way.
        router.get("/things/:thing/shadow") { request, context -> Response in
            let key = try Self.shadowKey(request, context)
            let outcome = gateway.shadows.read(key)
            return Self.shadowRead(outcome, ifNoneMatch: request.headers[.ifNoneMatch])?.response ?? Self.shadowResponse(outcome)
        }
        router.post("/things/:thing/shadow") { request, context -> Response in
            let key = try Self.shadowKey(request, context)
            let body = try await request.body.collect(upTo: ShadowLimits().maxRequestBytes + 1)
            if body.readableBytes > ShadowLimits().maxRequestBytes {
                return Self.shadowResponse(.rejected(ShadowError(code: 413, message: "The payload exceeds the maximum size allowed")))
            }
            return Self.shadowResponse(await gateway.shadows.perform(.update, key: key, payload: Array(buffer: body)))
        }
        router.delete("/things/:thing/shadow") { request, context -> Response in
            let key = try Self.shadowKey(request, context)
            return Self.shadowResponse(await gateway.shadows.perform(.delete, key: key, payload: []))
        }
        router.get("/api/things/shadow/ListNamedShadowsForThing/:thing") { request, context -> Response in
            let thing = try context.parameters.require("thing")
            do throws(ShadowError) { try ShadowKey.validateThingName(thing) } catch { return Self.shadowResponse(.rejected(error)) }
            let pageSize = try request.intQuery("pageSize", default: 25, range: 1...100)!
            let after = request.uri.queryParameters.get("nextToken").map { String($0) }
            let names = try gateway.shadows.namedShadows(thing: thing, after: after, limit: pageSize + 1)
            var body: JSONObject = [
                "results": .array(names.prefix(pageSize).map { .string($0) }),
                "timestamp": .int(Clock.epochMillis() / 1000),
            ]
            if names.count > pageSize, let last = names.prefix(pageSize).last { body["nextToken"] = .string(last) }
            return .json(.object(body))
        }
    }

    static func shadowKey(_ request: Request, _ context: APIRequestContext) throws -> ShadowKey {
        let thing = try context.parameters.require("thing")
        let name = request.uri.queryParameters.get("name").map { String($0) }
        do throws(ShadowError) { return try ShadowKey(thingName: thing, shadowName: name) } catch {
            throw ShadowHTTPError(error: error)
        }
    }

    /// A found shadow's GET answer: 200 with the document and its version as ETag, or 304 when
    /// `If-None-Match` names that version (or `*`); nil for an error outcome.
    static func shadowRead(_ outcome: ShadowOutcome, ifNoneMatch: String?) -> PlainResponse? {
        guard case .accepted(let body, let version) = outcome else { return nil }
        let etag = "\"\(version)\""
        if let inm = ifNoneMatch, inm == etag || inm == "\(version)" || inm == "*" {
            return PlainResponse(status: .notModified, headers: [.eTag: etag], body: nil)
        }
        return PlainResponse(status: .ok, headers: [.contentType: "application/json", .eTag: etag], body: ByteBuffer(bytes: body))
    }

    static func shadowBody(_ body: [UInt8], etag: String? = nil) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let etag { headers[.eTag] = etag }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    static func shadowResponse(_ outcome: ShadowOutcome) -> Response {
        switch outcome {
        case .accepted(let body, let version): return shadowBody(body, etag: "\"\(version)\"")
        case .rejected(let e): return ShadowHTTPError(error: e).response()
        }
    }
}

/// A shadow error as AWS iot-data answers it: its status, `{"code","message",…}`, and the
/// error type header AWS SDKs map to exception classes.
struct ShadowHTTPError: HTTPResponseError {
    let error: ShadowError

    var status: HTTPResponse.Status { HTTPResponse.Status(code: error.code) }

    func response(from request: Request, context: some RequestContext) throws -> Response { response() }

    func response() -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        headers[HTTPField.Name("x-amzn-ErrorType")!] = Self.errorType(error.code)
        return Response(
            status: status, headers: headers,
            body: .init(byteBuffer: ByteBuffer(bytes: error.responseBody(now: Clock.epochMillis() / 1000))))
    }

    static func errorType(_ code: Int) -> String {
        switch code {
        case 400: "InvalidRequestException"
        case 401: "UnauthorizedException"
        case 403: "ForbiddenException"
        case 404: "ResourceNotFoundException"
        case 405: "MethodNotAllowedException"
        case 409: "ConflictException"
        case 413: "RequestEntityTooLargeException"
        case 415: "UnsupportedDocumentEncodingException"
        case 429: "ThrottlingException"
        case 503: "ServiceUnavailableException"
        default: "InternalFailureException"
        }
    }
}
