import Foundation
import Gateway
import Hummingbird
import IoTCore
import Storage

extension GatewayAPI {
    /// Thing registry and telemetry queries.
    func addThingRoutes(to router: Router<APIRequestContext>) {
        router.get("/things") { request, _ -> Response in
            let limit = try request.intQuery("maxResults", default: 100, range: 1...1000)!
            let after = request.uri.queryParameters.get("nextToken").map { String($0) }
            let things = try gateway.things.list(after: after, limit: limit + 1)
            var out: [JSONValue] = []
            for t in things.prefix(limit) { out.append(Self.thingJSON(t)) }
            var body: JSONObject = ["things": .array(out)]
            if things.count > limit, let last = things.prefix(limit).last { body["nextToken"] = .string(last.name) }
            return .json(.object(body))
        }
        router.get("/things/:thing") { _, context -> Response in
            let name = try context.parameters.require("thing")
            guard let t = try gateway.things.get(name) else {
                throw APIError.notFound("Thing '\(name)' does not exist.")
            }
            return .json(Self.thingJSON(t))
        }
        router.get("/things/:thing/telemetry") { request, context -> Response in
            let name = try context.parameters.require("thing")
            guard try gateway.things.get(name) != nil else {
                throw APIError.notFound("Thing '\(name)' does not exist.")
            }
            let q = request.uri.queryParameters
            let limit = try request.intQuery("limit", default: 100, range: 1...10_000)!
            let from = try q.get("from").map { try Self.time(String($0), parameter: "from") }
            let to = try q.get("to").map { try Self.time(String($0), parameter: "to") }
            let page: TelemetryPage
            do {
                page = try gateway.telemetry.query(
                    thing: name, field: q.get("field").map { String($0) }, from: from, to: to, limit: limit,
                    pageToken: q.get("nextToken").map { String($0) })
            } catch let e as TelemetryQueryError {
                throw APIError.badRequest(e.description)
            }
            var points: [JSONValue] = []
            points.reserveCapacity(page.points.count)
            for p in page.points {
                points.append([
                    "field": .string(p.field), "ts": .int(p.ts), "value": .double(p.value),
                    "messageId": .int(p.messageId),
                ])
            }
            var body: JSONObject = ["thing": .string(name), "points": .array(points)]
            if let next = page.nextToken { body["nextToken"] = .string(next) }
            return .json(.object(body))
        }
    }

    static func thingJSON(_ t: ThingRecord) -> JSONValue {
        var o: JSONObject = ["thingName": .string(t.name)]
        if let type = t.type { o["thingTypeName"] = .string(type) }
        if let fleet = t.fleet { o["fleet"] = .string(fleet) }
        o["source"] = .string(t.source)
        o["createdAt"] = .int(t.createdAt)
        return .object(o)
    }

    /// Epoch milliseconds or an ISO 8601 date-time.
    static func time(_ raw: String, parameter: String) throws -> Int64 {
        if let ms = Int64(raw) { return ms }
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: raw) ?? ISO8601DateFormatter().date(from: raw) {
            return Int64((d.timeIntervalSince1970 * 1000).rounded())
        }
        throw APIError.badRequest(
            "Query parameter '\(parameter)' must be epoch milliseconds or an ISO 8601 date-time like 2026-11-27T10:00:00Z; got '\(raw)'."
        )
    }
}
