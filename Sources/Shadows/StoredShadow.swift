import IoTCore

/// A shadow as the gateway keeps it: state, per-leaf metadata and version, plus its compact JSON.
///
/// `encoded` is `{"state":{…},"metadata":{…},"version":n}`, exactly the `previous`/`current`
/// body of an `update/documents` message, so one serialization serves persistence and both
/// documents messages. A deleted shadow keeps its version (AWS: "deleting a shadow does not
/// reset its version number to 0"), so it is stored as `{"version":n,"deleted":true}` and a
/// shadow created again under the same key continues from that version. AWS forgets the
/// version after 48 hours; the gateway keeps it for good, as issue 4 asks.
///
/// Immutable, and a class: the gateway hands the same shadow between its cache, the batch being
/// applied and the rules engine, and copying a struct of four dictionaries and a byte array cost
/// a retain and release per field each time (≈ 8 % of a shard thread).
public final class StoredShadow: Sendable {
    /// The `desired` section; nil when absent (never an empty object).
    public let desired: JSONObject?
    /// The `reported` section; nil when absent (never an empty object).
    public let reported: JSONObject?
    /// Mirrors `desired`: each leaf is `{"timestamp":t}`, each array an array of element metadata.
    public let desiredMetadata: JSONObject?
    /// Mirrors `reported` the same way.
    public let reportedMetadata: JSONObject?
    /// Version of the last accepted update (kept across delete).
    public let version: Int64
    /// True once the shadow was deleted: `get` answers 404, and the next update starts it anew.
    public let isDeleted: Bool
    /// Compact JSON for storage and for `update/documents` (see the type's comment).
    public let encoded: [UInt8]
    /// Known at encoding time; a decoded shadow computes it on demand.
    private let measuredStateBytes: Int?

    /// Bytes of compact JSON in `desired` plus `reported`, the figure the 8 KB quota limits.
    public var stateByteCount: Int {
        if let measuredStateBytes { return measuredStateBytes }
        var n = 0
        if let desired { n += ShadowJSONWriter.bytes(.object(desired)).count }
        if let reported { n += ShadowJSONWriter.bytes(.object(reported)).count }
        return n
    }

    /// A live shadow. Empty sections are dropped, as AWS removes a section that becomes empty.
    /// `capacity` is a hint for the size of `encoded` (the previous version's size fits well).
    public init(desired: JSONObject?, reported: JSONObject?, desiredMetadata: JSONObject?,
                reportedMetadata: JSONObject?, version: Int64, capacity: Int = 256) {
        let d = desired.flatMap { $0.isEmpty ? nil : $0 }
        let r = reported.flatMap { $0.isEmpty ? nil : $0 }
        self.desired = d
        self.reported = r
        self.desiredMetadata = d == nil ? nil : (desiredMetadata ?? [:])
        self.reportedMetadata = r == nil ? nil : (reportedMetadata ?? [:])
        self.version = version
        self.isDeleted = false
        var out: [UInt8] = []
        out.reserveCapacity(capacity)
        var stateBytes = 0
        out.append(contentsOf: #"{"state":{"#.utf8)
        if let d {
            out.append(contentsOf: #""desired":"#.utf8)
            let start = out.count
            ShadowJSONWriter.write(d, into: &out)
            stateBytes += out.count - start
        }
        if let r {
            if d != nil { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: #""reported":"#.utf8)
            let start = out.count
            ShadowJSONWriter.write(r, into: &out)
            stateBytes += out.count - start
        }
        out.append(contentsOf: #"},"metadata":{"#.utf8)
        if let dm = self.desiredMetadata {
            out.append(contentsOf: #""desired":"#.utf8)
            ShadowJSONWriter.write(dm, into: &out)
        }
        if let rm = self.reportedMetadata {
            if self.desiredMetadata != nil { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: #""reported":"#.utf8)
            ShadowJSONWriter.write(rm, into: &out)
        }
        out.append(contentsOf: #"},"version":"#.utf8)
        ShadowJSONWriter.writeInt(version, into: &out)
        out.append(UInt8(ascii: "}"))
        self.encoded = out
        self.measuredStateBytes = stateBytes
    }

    /// The tombstone left by a delete: no state, the version kept.
    public static func deleted(version: Int64) -> StoredShadow {
        StoredShadow(deletedVersion: version)
    }

    private convenience init(deletedVersion version: Int64) {
        self.init(raw: nil, nil, nil, nil, version: version, isDeleted: true,
                  encoded: Array(#"{"version":\#(version),"deleted":true}"#.utf8), measuredStateBytes: 0)
    }

    private init(raw desired: JSONObject?, _ reported: JSONObject?, _ desiredMetadata: JSONObject?,
                 _ reportedMetadata: JSONObject?, version: Int64, isDeleted: Bool, encoded: [UInt8],
                 measuredStateBytes: Int?)
    {
        self.desired = desired
        self.reported = reported
        self.desiredMetadata = desiredMetadata
        self.reportedMetadata = reportedMetadata
        self.version = version
        self.isDeleted = isDeleted
        self.encoded = encoded
        self.measuredStateBytes = measuredStateBytes
    }

    /// Reads what `encoded` wrote. The bytes are kept as `encoded` (no re-serialization).
    public convenience init(decoding bytes: [UInt8]) throws(StoredShadowDecodingError) {
        let value: JSONValue
        do {
            value = try JSONValue.parse(bytes)
        } catch {
            throw StoredShadowDecodingError("The stored shadow is not valid JSON: \(error).")
        }
        guard case .object(let doc) = value else {
            throw StoredShadowDecodingError("The stored shadow is not a JSON object.")
        }
        guard case .int(let version)? = doc["version"] else {
            throw StoredShadowDecodingError("The stored shadow has no integer \"version\".")
        }
        if doc["deleted"] == .bool(true) {
            self.init(deletedVersion: version)
            return
        }
        let state = doc["state"]?.objectValue ?? [:]
        let metadata = doc["metadata"]?.objectValue ?? [:]
        func section(_ o: JSONObject, _ name: String) throws(StoredShadowDecodingError) -> JSONObject? {
            switch o[name] {
            case nil: return nil
            case .object(let s)?: return s
            default: throw StoredShadowDecodingError("The stored shadow's \"\(name)\" is not an object.")
            }
        }
        let desired = try section(state, "desired")
        let reported = try section(state, "reported")
        self.init(raw: desired, reported,
                  desired == nil ? nil : (try section(metadata, "desired") ?? [:]),
                  reported == nil ? nil : (try section(metadata, "reported") ?? [:]),
                  version: version, isDeleted: false, encoded: bytes, measuredStateBytes: nil)
    }
}

extension StoredShadow: Equatable {
    /// Equal state, metadata, version and deletion; the encoded bytes may differ in layout.
    public static func == (a: StoredShadow, b: StoredShadow) -> Bool {
        a.version == b.version && a.isDeleted == b.isDeleted && a.desired == b.desired
            && a.reported == b.reported && a.desiredMetadata == b.desiredMetadata
            && a.reportedMetadata == b.reportedMetadata
    }
}

/// Stored shadow bytes that `StoredShadow(decoding:)` cannot read.
public struct StoredShadowDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
