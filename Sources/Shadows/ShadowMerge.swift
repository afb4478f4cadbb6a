import IoTCore

/// Merging an update's section into stored state, keeping the metadata tree in step.
///
/// Stored state never holds `null` or empty objects: `null` removes a key, and an object
/// left empty by removals is removed too. AWS documents this for the `desired`/`reported`
/// sections ("If an update causes the desired or reported properties to become null, it is
/// removed"); for nested objects the docs are silent and AWS's own local implementation
/// (Greengrass shadow manager) also drops empty and null-only objects, so the gateway does
/// the same at every level.
enum ShadowMerge {
    /// `{"timestamp":now}`, built once per update and shared by every leaf it stamps.
    static func leaf(_ now: Int64) -> JSONValue {
        var o = JSONObject(minimumCapacity: 1)
        o["timestamp"] = .int(now)
        return .object(o)
    }

    /// Applies `patch` to `state`, setting each written leaf's metadata to `leaf`.
    static func merge(_ state: inout JSONObject, _ metadata: inout JSONObject, patch: JSONObject, leaf: JSONValue) {
        for (key, new) in patch {
            switch new {
            case .null:
                state.removeValue(forKey: key)
                metadata.removeValue(forKey: key)
            case .object(let inner):
                if let i = state.index(forKey: key), case .object(var child) = state.values[i] {
                    // Release the stored references first so the in-place merge does not copy.
                    state.values[i] = .null
                    var childMeta: JSONObject = [:]
                    if let m = metadata.index(forKey: key), case .object(let o) = metadata.values[m] {
                        childMeta = o
                        metadata.values[m] = .null
                    }
                    merge(&child, &childMeta, patch: inner, leaf: leaf)
                    if child.isEmpty {
                        state.removeValue(forKey: key)
                        metadata.removeValue(forKey: key)
                    } else {
                        state.values[i] = .object(child)
                        metadata[key] = .object(childMeta)
                    }
                } else if let pruned = prune(inner) {
                    state[key] = .object(pruned)
                    metadata[key] = metadataTree(for: .object(pruned), leaf: leaf)
                } else {
                    state.removeValue(forKey: key)
                    metadata.removeValue(forKey: key)
                }
            default:
                state[key] = new
                metadata[key] = metadataTree(for: new, leaf: leaf)
            }
        }
    }

    /// `object` without null members and without objects that end up empty; nil if nothing is left.
    static func prune(_ object: JSONObject) -> JSONObject? {
        var out = JSONObject(minimumCapacity: object.count)
        for (key, value) in object {
            switch value {
            case .null: continue
            case .object(let inner):
                if let p = prune(inner) { out[key] = .object(p) }
            default: out[key] = value
            }
        }
        return out.isEmpty ? nil : out
    }

    /// The metadata AWS attaches to `value`: `leaf` (`{"timestamp":now}`) for a leaf (null included, as
    /// the accepted document of a removal shows), an object of the same keys for an object,
    /// and one entry per element for an array.
    static func metadataTree(for value: JSONValue, leaf: JSONValue) -> JSONValue {
        switch value {
        case .object(let o):
            var out = JSONObject(minimumCapacity: o.count)
            for (k, v) in o { out[k] = metadataTree(for: v, leaf: leaf) }
            return .object(out)
        case .array(let a):
            return .array(a.map { metadataTree(for: $0, leaf: leaf) })
        default:
            return leaf
        }
    }
}
