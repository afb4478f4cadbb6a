/// The SigV4 canonical request, built the way botocore's `SigV4Auth.canonical_request` builds it for non-S3 services.
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
        var segments: [Substring] = []
        for segment in rawPath.split(separator: "/", omittingEmptySubsequences: true) {
            switch segment {
            case ".": continue
            case "..": if !segments.isEmpty { segments.removeLast() }
            default: segments.append(segment)
            }
        }
        var output: [UInt8] = [UInt8(ascii: "/")]
        for (index, segment) in segments.enumerated() {
            if index > 0 { output.append(UInt8(ascii: "/")) }
            URIEncoding.encode(segment.utf8, keepSlash: false, into: &output)
        }
        if rawPath.utf8.last == UInt8(ascii: "/") && !segments.isEmpty { output.append(UInt8(ascii: "/")) }
        return output
    }

    /// Canonical query string: pairs sorted by name then value, joined with `&`; `excluding` drops a parameter
    /// by decoded name (presigned URLs leave `X-Amz-Signature` out of what they sign).
    static func query(_ rawQuery: String?, form: QueryForm, excluding excluded: String? = nil) -> [UInt8] {
        guard let rawQuery, !rawQuery.isEmpty else { return [] }
        var pairs: [(name: [UInt8], value: [UInt8])] = []
        for piece in rawQuery.split(separator: "&", omittingEmptySubsequences: form == .reencoded) {
            let equals = piece.firstIndex(of: "=")
            let name = equals.map { piece[..<$0] } ?? piece
            let value = equals.map { piece[piece.index(after: $0)...] } ?? ""
            if let excluded, URIEncoding.decode(name) == Array(excluded.utf8) { continue }
            switch form {
            case .reencoded:
                var encodedName: [UInt8] = []
                var encodedValue: [UInt8] = []
                URIEncoding.encode(URIEncoding.decode(name), keepSlash: false, into: &encodedName)
                URIEncoding.encode(URIEncoding.decode(value), keepSlash: false, into: &encodedValue)
                pairs.append((encodedName, encodedValue))
            case .asReceived:
                pairs.append((Array(name.utf8), Array(value.utf8)))
            }
        }
        pairs.sort { lhs, rhs in
            lhs.name == rhs.name
                ? lhs.value.lexicographicallyPrecedes(rhs.value) : lhs.name.lexicographicallyPrecedes(rhs.name)
        }
        var output: [UInt8] = []
        for (index, pair) in pairs.enumerated() {
            if index > 0 { output.append(UInt8(ascii: "&")) }
            output += pair.name
            output.append(UInt8(ascii: "="))
            output += pair.value
        }
        return output
    }

    /// Canonical headers block (each `name:value\n`) for the signed names in the order the client listed them;
    /// repeated fields are joined with `,` and each value has its whitespace runs collapsed to one space.
    static func headers(signed names: [Substring], of request: SigV4Request) throws(SigV4Error) -> [UInt8] {
        var output: [UInt8] = []
        for name in names {
            let lowercased = name.lowercased()
            let values = request.values(of: lowercased)
            guard !values.isEmpty else {
                throw .incomplete(
                    "The header '\(lowercased)' is listed in SignedHeaders but is missing from the request.")
            }
            output += lowercased.utf8
            output.append(UInt8(ascii: ":"))
            for (index, value) in values.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                output += value.split(whereSeparator: \.isSigV4Whitespace).joined(separator: " ").utf8
            }
            output.append(UInt8(ascii: "\n"))
        }
        return output
    }

    /// The full canonical request: method, URI, query, headers, signed header names, payload hash.
    static func build(
        method: String, path: [UInt8], query: [UInt8], headers: [UInt8], signedHeaders: Substring,
        payloadHash: String
    ) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(path.count + query.count + headers.count + signedHeaders.utf8.count + 128)
        output += method.uppercased().utf8
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
}

extension Character {
    /// Python's `str.split()` with no argument, which botocore uses to trim header values, splits on these.
    fileprivate var isSigV4Whitespace: Bool {
        self == " " || self == "\t" || self == "\n" || self == "\r" || self == "\u{0B}" || self == "\u{0C}"
            || self == "\r\n"
    }
}
