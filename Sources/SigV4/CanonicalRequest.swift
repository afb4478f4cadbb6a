/// The SigV4 canonical request, built the way botocore's `SigV4Auth.canonical_request` builds it for non-S3 services.
///
/// Everything works on UTF-8 bytes: Character-based splitting cost more than all the hashing together.
struct CanonicalRequest {
    /// How the query string is canonicalized; clients differ only when the wire query is not already RFC 3986.
    enum QueryForm: CaseIterable {
        /// Decode each name and value, re-encode with RFC 3986 (the specification, and most SDKs).
        case reencoded
        /// Sort the pairs exactly as received (botocore signs a URL's query without re-encoding it).
        case asReceived
    }

    /// Canonical URI: dot segments and empty segments removed, then the received (already encoded) path
    /// encoded once more, so `%2F` becomes `%252F`; AWS calls this double encoding for non-S3 services.
    static func path(_ rawPath: String) -> [UInt8] {
        let bytes = Array(rawPath.utf8)
        var segments: [ArraySlice<UInt8>] = []
        for segment in bytes.split(separator: UInt8(ascii: "/")) {
            if segment.elementsEqual(".".utf8) { continue }
            if segment.elementsEqual("..".utf8) {
                if !segments.isEmpty { segments.removeLast() }
                continue
            }
            segments.append(segment)
        }
        var output: [UInt8] = [UInt8(ascii: "/")]
        output.reserveCapacity(bytes.count + 16)
        for (index, segment) in segments.enumerated() {
            if index > 0 { output.append(UInt8(ascii: "/")) }
            URIEncoding.encode(segment, keepSlash: false, into: &output)
        }
        if bytes.last == UInt8(ascii: "/") && !segments.isEmpty { output.append(UInt8(ascii: "/")) }
        return output
    }

    /// Canonical query string: pairs sorted by name then value, joined with `&`; `excluding` drops a parameter
    /// by decoded name (presigned URLs leave `X-Amz-Signature` out of what they sign).
    static func query(_ rawQuery: String?, form: QueryForm, excluding excluded: String? = nil) -> [UInt8] {
        guard let rawQuery, !rawQuery.isEmpty else { return [] }
        let bytes = Array(rawQuery.utf8)
        let excludedBytes = excluded.map { Array($0.utf8) }
        var pairs: [(name: [UInt8], value: [UInt8])] = []
        for piece in bytes.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: form == .reencoded) {
            let equals = piece.firstIndex(of: UInt8(ascii: "=")) ?? piece.endIndex
            let name = piece[..<equals]
            let value = equals == piece.endIndex ? [] : piece[(equals + 1)...]
            if let excludedBytes, URIEncoding.decode(name) == excludedBytes { continue }
            switch form {
            case .reencoded:
                var encodedName: [UInt8] = []
                var encodedValue: [UInt8] = []
                URIEncoding.encode(URIEncoding.decode(name), keepSlash: false, into: &encodedName)
                URIEncoding.encode(URIEncoding.decode(value), keepSlash: false, into: &encodedValue)
                pairs.append((encodedName, encodedValue))
            case .asReceived:
                pairs.append((Array(name), Array(value)))
            }
        }
        pairs.sort { lhs, rhs in
            lhs.name == rhs.name
                ? lhs.value.lexicographicallyPrecedes(rhs.value) : lhs.name.lexicographicallyPrecedes(rhs.name)
        }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + 16)
        for (index, pair) in pairs.enumerated() {
            if index > 0 { output.append(UInt8(ascii: "&")) }
            output += pair.name
            output.append(UInt8(ascii: "="))
            output += pair.value
        }
        return output
    }

    /// Canonical headers block (each `name:value\n`) for the signed names (lowercased) in the order the client
    /// listed them; repeated fields are joined with `,` and each value has its whitespace runs collapsed to one
    /// space and its ends trimmed, as botocore's `' '.join(value.split())` does.
    static func headers(signed names: [String], of request: SigV4Request) throws(SigV4Error) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(names.count * 48)
        for name in names {
            let values = request.values(of: name)
            guard !values.isEmpty else {
                throw .incomplete("The header '\(name)' is listed in SignedHeaders but is missing from the request.")
            }
            output += name.utf8
            output.append(UInt8(ascii: ":"))
            for (index, value) in values.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                var pendingSpace = false
                var wroteAny = false
                for byte in value.utf8 {
                    if isWhitespace(byte) {
                        pendingSpace = wroteAny
                    } else {
                        if pendingSpace { output.append(UInt8(ascii: " ")) }
                        output.append(byte)
                        pendingSpace = false
                        wroteAny = true
                    }
                }
            }
            output.append(UInt8(ascii: "\n"))
        }
        return output
    }

    /// The full canonical request: method, URI, query, headers, signed header names, payload hash.
    static func build(
        method: String, path: [UInt8], query: [UInt8], headers: [UInt8], signedHeaders: String, payloadHash: String
    ) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(path.count + query.count + headers.count + signedHeaders.utf8.count + 128)
        for byte in method.utf8 { output.append(byte >= 0x61 && byte <= 0x7A ? byte - 0x20 : byte) }
        output.append(UInt8(ascii: "\n"))
        output += path
        output.append(UInt8(ascii: "\n"))
        output += query
        output.append(UInt8(ascii: "\n"))
        output += headers
        output.append(UInt8(ascii: "\n"))
        output += signedHeaders.utf8
        output.append(UInt8(ascii: "\n"))
        output += payloadHash.utf8
        return output
    }

    /// The ASCII whitespace Python's `str.split()` splits on (tab to carriage return, the four separators, space).
    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (0x09...0x0D).contains(byte) || (0x1C...0x1F).contains(byte)
    }
}
