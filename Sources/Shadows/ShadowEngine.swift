import IoTCore

/// What an accepted `/update` produces: the shadow to store and the messages to publish.
public struct ShadowUpdateResult: Sendable {
    /// The shadow after the update, to persist (its `encoded` bytes are the row).
    public let stored: StoredShadow
    /// `update/accepted` payload, also the REST `UpdateThingShadow` response body.
    public let accepted: [UInt8]
    /// `update/delta` payload; nil when desired and reported agree, and then nothing is published.
    public let delta: [UInt8]?
    /// `update/documents` payload (`previous` only when the shadow existed before).
    public let documents: [UInt8]
    /// The request's clientToken, if any.
    public let clientToken: String?
}

/// What an accepted `/delete` produces.
public struct ShadowDeleteResult: Sendable {
    /// The tombstone to store in place of the shadow; it keeps the version.
    public let stored: StoredShadow
    /// `delete/accepted` payload and REST `DeleteThingShadow` body: `{"version","timestamp","clientToken"?}`.
    public let accepted: [UInt8]
}

/// AWS IoT Device Shadow semantics as pure functions: update, get, delete.
///
/// Times are whole epoch seconds, like every `timestamp` AWS puts in shadow documents.
/// The caller serializes calls per shadow (read the stored shadow, call, write the result).
public enum ShadowEngine {
    /// Applies an `/update` request (raw payload) to `stored` (nil when no row exists).
    public static func update(stored: StoredShadow?, request: [UInt8], now: Int64,
                              limits: ShadowLimits = ShadowLimits()) -> Result<ShadowUpdateResult, ShadowError>
    {
        do {
            let document = try parseRequest(request, limits: limits)
            return update(stored: stored, request: document, now: now, limits: limits)
        } catch {
            return .failure(error)
        }
    }

    /// Applies an already parsed `/update` request document to `stored`.
    public static func update(stored: StoredShadow?, request: JSONValue, now: Int64,
                              limits: ShadowLimits = ShadowLimits()) -> Result<ShadowUpdateResult, ShadowError>
    {
        let req: ShadowUpdateRequest
        do {
            req = try ShadowUpdateRequest(request, limits: limits)
        } catch {
            return .failure(error)
        }
        let live = stored.flatMap { $0.isDeleted ? nil : $0 }
        let currentVersion = stored?.version ?? 0
        // A shadow that never existed has version 0, so `"version": 0` is the matching one.
        if let v = req.version, v != currentVersion {
            return .failure(ShadowError.versionConflict.with(clientToken: req.clientToken))
        }

        var desired = live?.desired
        var desiredMeta = live?.desiredMetadata
        var reported = live?.reported
        var reportedMeta = live?.reportedMetadata
        if req.clearsState {
            desired = nil
            desiredMeta = nil
            reported = nil
            reportedMeta = nil
        }
        let leaf = ShadowMerge.leaf(now)
        apply(req.desired, to: &desired, metadata: &desiredMeta, leaf: leaf)
        apply(req.reported, to: &reported, metadata: &reportedMeta, leaf: leaf)
        let version = currentVersion + 1
        let next = StoredShadow(desired: desired, reported: reported, desiredMetadata: desiredMeta,
                                reportedMetadata: reportedMeta, version: version,
                                capacity: (stored?.encoded.count ?? 0) + 64)
        if next.stateByteCount > limits.maxStateBytes {
            return .failure(ShadowError.payloadTooLarge.with(clientToken: req.clientToken))
        }

        var acceptedDoc = JSONObject(minimumCapacity: 5)
        acceptedDoc["state"] = req.stateEcho
        acceptedDoc["metadata"] = acceptedMetadata(req, leaf: leaf)
        acceptedDoc["version"] = .int(version)
        acceptedDoc["timestamp"] = .int(now)
        if let token = req.clientToken { acceptedDoc["clientToken"] = .string(token) }

        var deltaBytes: [UInt8]?
        if let d = ShadowDelta.compute(desired: next.desired, reported: next.reported,
                                       desiredMetadata: next.desiredMetadata)
        {
            var doc = JSONObject(minimumCapacity: 5)
            doc["state"] = .object(d.state)
            doc["metadata"] = .object(d.metadata)
            doc["version"] = .int(version)
            doc["timestamp"] = .int(now)
            if let token = req.clientToken { doc["clientToken"] = .string(token) }
            deltaBytes = ShadowJSONWriter.bytes(.object(doc))
        }

        return .success(ShadowUpdateResult(
            stored: next,
            accepted: ShadowJSONWriter.bytes(.object(acceptedDoc)),
            delta: deltaBytes,
            documents: documentsMessage(previous: live, current: next, now: now, clientToken: req.clientToken),
            clientToken: req.clientToken))
    }

    /// The `get/accepted` document (REST `GetThingShadow` body): state with `delta` when
    /// desired and reported differ, metadata of desired and reported, version, timestamp,
    /// and the clientToken of the `/get` request. 404 when there is no live shadow.
    ///
    /// The docs' delta example also shows `metadata.delta`; AWS's own shadow code and the
    /// documents the service returns carry metadata for desired and reported only, so the
    /// delta's metadata appears only in `update/delta` messages.
    public static func get(stored: StoredShadow?, key: ShadowKey, request: [UInt8] = [], now: Int64)
        -> Result<[UInt8], ShadowError>
    {
        let token = clientToken(in: request)
        guard let s = stored, !s.isDeleted else { return .failure(ShadowError.notFound(key).with(clientToken: token)) }
        var state = JSONObject(minimumCapacity: 3)
        var metadata = JSONObject(minimumCapacity: 2)
        if let d = s.desired { state["desired"] = .object(d) }
        if let r = s.reported { state["reported"] = .object(r) }
        if let delta = ShadowDelta.compute(desired: s.desired, reported: s.reported, desiredMetadata: s.desiredMetadata) {
            state["delta"] = .object(delta.state)
        }
        if let m = s.desiredMetadata { metadata["desired"] = .object(m) }
        if let m = s.reportedMetadata { metadata["reported"] = .object(m) }
        var doc = JSONObject(minimumCapacity: 5)
        doc["state"] = .object(state)
        doc["metadata"] = .object(metadata)
        doc["version"] = .int(s.version)
        doc["timestamp"] = .int(now)
        if let token { doc["clientToken"] = .string(token) }
        return .success(ShadowJSONWriter.bytes(.object(doc)))
    }

    /// Deletes the shadow: the accepted document carries the version of the deleted shadow
    /// (it is not incremented; the next update creates the shadow with version + 1).
    public static func delete(stored: StoredShadow?, key: ShadowKey, request: [UInt8] = [], now: Int64)
        -> Result<ShadowDeleteResult, ShadowError>
    {
        let token = clientToken(in: request)
        guard let s = stored, !s.isDeleted else { return .failure(ShadowError.notFound(key).with(clientToken: token)) }
        var doc = JSONObject(minimumCapacity: 3)
        doc["version"] = .int(s.version)
        doc["timestamp"] = .int(now)
        if let token { doc["clientToken"] = .string(token) }
        return .success(ShadowDeleteResult(stored: .deleted(version: s.version),
                                           accepted: ShadowJSONWriter.bytes(.object(doc))))
    }

    /// The clientToken of a `/get` or `/delete` payload. AWS ignores those payloads' content,
    /// but its SDKs send `{"clientToken":…}` and match the answer by it; anything else
    /// (empty, not JSON, no valid token) yields nil.
    public static func clientToken(in payload: [UInt8], limits: ShadowLimits = ShadowLimits()) -> String? {
        guard !payload.isEmpty, payload.count <= limits.maxRequestBytes,
              case .object(let o)? = try? JSONValue.parse(payload),
              case .string(let token)? = o["clientToken"], token.utf8.count <= limits.maxClientTokenBytes
        else { return nil }
        return token
    }

    /// Size, encoding and syntax checks on a raw request payload, in the order AWS reports them.
    static func parseRequest(_ bytes: [UInt8], limits: ShadowLimits) throws(ShadowError) -> JSONValue {
        if bytes.count > limits.maxRequestBytes { throw .payloadTooLarge }
        if !isValidUTF8(bytes) { throw .unsupportedEncoding }
        do {
            return try JSONValue.parse(bytes)
        } catch {
            throw .invalidJSON
        }
    }

    static func isValidUTF8(_ bytes: [UInt8]) -> Bool {
        for b in bytes where b >= 0x80 {
            return String(validating: bytes, as: UTF8.self) != nil
        }
        return true
    }

    private static func apply(_ section: ShadowUpdateRequest.Section, to state: inout JSONObject?,
                              metadata: inout JSONObject?, leaf: JSONValue)
    {
        switch section {
        case .unchanged:
            return
        case .remove:
            state = nil
            metadata = nil
        case .merge(let patch):
            var s = state ?? [:]
            var m = metadata ?? [:]
            state = nil
            metadata = nil
            ShadowMerge.merge(&s, &m, patch: patch, leaf: leaf)
            if !s.isEmpty {
                state = s
                metadata = m
            }
        }
    }

    /// Metadata for exactly the leaves the request wrote, removals included.
    private static func acceptedMetadata(_ req: ShadowUpdateRequest, leaf: JSONValue) -> JSONValue {
        guard case .object(let echo) = req.stateEcho else { return leaf }
        var out = JSONObject(minimumCapacity: echo.count)
        for (name, value) in echo { out[name] = ShadowMerge.metadataTree(for: value, leaf: leaf) }
        return .object(out)
    }

    /// `{"previous":…,"current":…,"timestamp":…,"clientToken":…}`, splicing the stored
    /// shadows' encoded bytes. The first update of a shadow has no `previous`, as the
    /// service's documents message for a new shadow shows.
    private static func documentsMessage(previous: StoredShadow?, current: StoredShadow, now: Int64,
                                         clientToken: String?) -> [UInt8]
    {
        var out: [UInt8] = []
        out.reserveCapacity((previous?.encoded.count ?? 0) + current.encoded.count + 96)
        out.append(UInt8(ascii: "{"))
        if let previous {
            out.append(contentsOf: #""previous":"#.utf8)
            out.append(contentsOf: previous.encoded)
            out.append(UInt8(ascii: ","))
        }
        out.append(contentsOf: #""current":"#.utf8)
        out.append(contentsOf: current.encoded)
        out.append(contentsOf: #","timestamp":"#.utf8)
        ShadowJSONWriter.writeInt(now, into: &out)
        if let clientToken {
            out.append(contentsOf: #","clientToken":"#.utf8)
            ShadowJSONWriter.writeString(clientToken, into: &out)
        }
        out.append(UInt8(ascii: "}"))
        return out
    }
}
