/// Why a byte sequence is not acceptable JSON, with the byte offset where parsing stopped.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var offset: Int
    public init(_ message: String, offset: Int) {
        self.message = message
        self.offset = offset
    }
    public var description: String { "\(message) at byte \(offset)" }
}

extension JSONValue {
    /// Maximum nesting accepted by the parser; deeper input is rejected rather than
    /// risking stack exhaustion on hostile payloads.
    public static let maxParseDepth = 512

    /// Parses RFC 8259 JSON from UTF-8 bytes. Integers that fit Int64 and have no
    /// fraction or exponent become `.int`; every other number becomes `.double`.
    public static func parse<Bytes: Collection>(_ bytes: Bytes) throws(JSONParseError) -> JSONValue
    where Bytes.Element == UInt8 {
        let result =
            bytes.withContiguousStorageIfAvailable(parseResult)
            ?? Array(bytes).withUnsafeBufferPointer(parseResult)
        return try result.get()
    }

    /// Parses JSON text.
    public static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        var text = text
        return try text.withUTF8(parseResult).get()
    }

    private static func parseResult(_ buf: UnsafeBufferPointer<UInt8>) -> Result<JSONValue, JSONParseError> {
        var p = JSONByteParser(buf)
        do throws(JSONParseError) {
            return .success(try p.parseDocument())
        } catch {
            return .failure(error)
        }
    }
}

struct JSONByteParser {
    let buf: UnsafeBufferPointer<UInt8>
    var i = 0
    var depth = 0

    init(_ buf: UnsafeBufferPointer<UInt8>) { self.buf = buf }

    mutating func parseDocument() throws(JSONParseError) -> JSONValue {
        skipWS()
        let v = try parseValue()
        skipWS()
        if i != buf.count { throw JSONParseError("Unexpected data after the JSON value", offset: i) }
        return v
    }

    @inline(__always) mutating func skipWS() {
        while i < buf.count {
            switch buf[i] {
            case 0x20, 0x0A, 0x0D, 0x09: i += 1
            default: return
            }
        }
    }

    mutating func parseValue() throws(JSONParseError) -> JSONValue {
        guard i < buf.count else { throw JSONParseError("Unexpected end of input", offset: i) }
        switch buf[i] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw JSONParseError("Unexpected character '\(Character(Unicode.Scalar(buf[i])))'", offset: i)
        }
    }

    mutating func literal(_ word: StaticString) throws(JSONParseError) {
        let n = word.utf8CodeUnitCount
        guard i + n <= buf.count else { throw JSONParseError("Invalid literal", offset: i) }
        let w = word.utf8Start
        for k in 0..<n where buf[i + k] != w[k] { throw JSONParseError("Invalid literal", offset: i) }
        i += n
    }

    mutating func enter() throws(JSONParseError) {
        depth += 1
        if depth > JSONValue.maxParseDepth {
            throw JSONParseError("Nesting deeper than \(JSONValue.maxParseDepth) levels", offset: i)
        }
    }

    mutating func parseObject() throws(JSONParseError) -> JSONValue {
        try enter()
        defer { depth -= 1 }
        i += 1
        var obj = JSONObject()
        skipWS()
        if i < buf.count, buf[i] == UInt8(ascii: "}") { i += 1; return .object(obj) }
        while true {
            skipWS()
            guard i < buf.count, buf[i] == UInt8(ascii: "\"") else {
                throw JSONParseError("Expected a string key", offset: i)
            }
            let key = try parseString()
            skipWS()
            guard i < buf.count, buf[i] == UInt8(ascii: ":") else { throw JSONParseError("Expected ':'", offset: i) }
            i += 1
            skipWS()
            let v = try parseValue()
            obj[key] = v
            skipWS()
            guard i < buf.count else { throw JSONParseError("Unexpected end of input in object", offset: i) }
            if buf[i] == UInt8(ascii: ",") { i += 1; continue }
            if buf[i] == UInt8(ascii: "}") { i += 1; return .object(obj) }
            throw JSONParseError("Expected ',' or '}'", offset: i)
        }
    }

    mutating func parseArray() throws(JSONParseError) -> JSONValue {
        try enter()
        defer { depth -= 1 }
        i += 1
        var arr: [JSONValue] = []
        skipWS()
        if i < buf.count, buf[i] == UInt8(ascii: "]") { i += 1; return .array(arr) }
        while true {
            skipWS()
            arr.append(try parseValue())
            skipWS()
            guard i < buf.count else { throw JSONParseError("Unexpected end of input in array", offset: i) }
            if buf[i] == UInt8(ascii: ",") { i += 1; continue }
            if buf[i] == UInt8(ascii: "]") { i += 1; return .array(arr) }
            throw JSONParseError("Expected ',' or ']'", offset: i)
        }
    }

    mutating func parseString() throws(JSONParseError) -> String {
        i += 1
        let start = i
        // Fast path: no escapes.
        while i < buf.count {
            let c = buf[i]
            if c == UInt8(ascii: "\"") {
                let s = String(decoding: UnsafeBufferPointer(rebasing: buf[start..<i]), as: UTF8.self)
                i += 1
                return s
            }
            if c == UInt8(ascii: "\\") { break }
            if c < 0x20 { throw JSONParseError("Control character in string", offset: i) }
            i += 1
        }
        var bytes = Array(UnsafeBufferPointer(rebasing: buf[start..<i]))
        while i < buf.count {
            let c = buf[i]
            if c == UInt8(ascii: "\"") {
                i += 1
                return String(decoding: bytes, as: UTF8.self)
            }
            if c < 0x20 { throw JSONParseError("Control character in string", offset: i) }
            if c != UInt8(ascii: "\\") { bytes.append(c); i += 1; continue }
            i += 1
            guard i < buf.count else { break }
            let e = buf[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""): bytes.append(0x22)
            case UInt8(ascii: "\\"): bytes.append(0x5C)
            case UInt8(ascii: "/"): bytes.append(0x2F)
            case UInt8(ascii: "b"): bytes.append(0x08)
            case UInt8(ascii: "f"): bytes.append(0x0C)
            case UInt8(ascii: "n"): bytes.append(0x0A)
            case UInt8(ascii: "r"): bytes.append(0x0D)
            case UInt8(ascii: "t"): bytes.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800...0xDBFF).contains(scalar) {
                    guard i + 1 < buf.count, buf[i] == UInt8(ascii: "\\"), buf[i + 1] == UInt8(ascii: "u") else {
                        throw JSONParseError("Unpaired surrogate in string", offset: i)
                    }
                    i += 2
                    let low = try hex4()
                    guard (0xDC00...0xDFFF).contains(low) else {
                        throw JSONParseError("Invalid low surrogate in string", offset: i)
                    }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(scalar) {
                    throw JSONParseError("Unpaired surrogate in string", offset: i)
                }
                guard let u = Unicode.Scalar(scalar) else { throw JSONParseError("Invalid escape", offset: i) }
                bytes.append(contentsOf: Array(String(Character(u)).utf8))
            default:
                throw JSONParseError("Invalid escape '\\\(Character(Unicode.Scalar(e)))'", offset: i - 1)
            }
        }
        throw JSONParseError("Unterminated string", offset: start - 1)
    }

    mutating func hex4() throws(JSONParseError) -> UInt32 {
        guard i + 4 <= buf.count else { throw JSONParseError("Truncated \\u escape", offset: i) }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = buf[i]
            let d: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - UInt8(ascii: "A") + 10)
            default: throw JSONParseError("Invalid hex digit in \\u escape", offset: i)
            }
            v = v << 4 | d
            i += 1
        }
        return v
    }

    mutating func parseNumber() throws(JSONParseError) -> JSONValue {
        let start = i
        var negative = false
        if buf[i] == UInt8(ascii: "-") { negative = true; i += 1 }
        guard i < buf.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(buf[i]) else {
            throw JSONParseError("Invalid number", offset: start)
        }
        var integral = true
        var overflow = false
        var acc: Int64 = 0
        var integerDigits = 0
        if buf[i] == UInt8(ascii: "0") {
            i += 1
        } else {
            while i < buf.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(buf[i]) {
                let d = Int64(buf[i] - UInt8(ascii: "0"))
                let (m, o1) = acc.multipliedReportingOverflow(by: 10)
                let (s, o2) = negative ? m.subtractingReportingOverflow(d) : m.addingReportingOverflow(d)
                if o1 || o2 { overflow = true } else { acc = s }
                integerDigits += 1
                i += 1
            }
        }
        // Decimal significand digits and exponent, for the exact fast path below.
        var significand = UInt64(acc.magnitude)
        var digits = overflow ? 99 : integerDigits
        var fractionDigits = 0
        if i < buf.count, buf[i] == UInt8(ascii: ".") {
            integral = false
            i += 1
            guard i < buf.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(buf[i]) else {
                throw JSONParseError("Invalid number: digit expected after '.'", offset: i)
            }
            while i < buf.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(buf[i]) {
                if digits < 19 {
                    significand = significand &* 10 &+ UInt64(buf[i] - UInt8(ascii: "0"))
                    if significand != 0 { digits += 1 }
                    fractionDigits += 1
                } else {
                    digits += 1
                }
                i += 1
            }
        }
        var exponent = 0
        var exponentValid = true
        if i < buf.count, buf[i] == UInt8(ascii: "e") || buf[i] == UInt8(ascii: "E") {
            integral = false
            i += 1
            var exponentNegative = false
            if i < buf.count, buf[i] == UInt8(ascii: "+") || buf[i] == UInt8(ascii: "-") {
                exponentNegative = buf[i] == UInt8(ascii: "-")
                i += 1
            }
            guard i < buf.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(buf[i]) else {
                throw JSONParseError("Invalid number: digit expected in exponent", offset: i)
            }
            while i < buf.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(buf[i]) {
                if exponent < 10_000 { exponent = exponent * 10 + Int(buf[i] - UInt8(ascii: "0")) } else { exponentValid = false }
                i += 1
            }
            if exponentNegative { exponent = -exponent }
        }
        if integral && !overflow { return .int(acc) }
        // Clinger's fast path: a significand below 2^53 times an exactly representable power
        // of ten is correctly rounded by one multiplication or division.
        let power = exponent - fractionDigits
        if exponentValid, digits <= 15, power >= -22, power <= 22 {
            var d = Double(significand)
            d = power < 0 ? d / JSONByteParser.powersOfTen[-power] : d * JSONByteParser.powersOfTen[power]
            return .double(negative ? -d : d)
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: buf[start..<i]), as: UTF8.self)
        guard let d = Double(text) else { throw JSONParseError("Invalid number", offset: start) }
        return .double(d)
    }

    static let powersOfTen: [Double] = (0...22).map { k in (0..<k).reduce(1.0) { r, _ in r * 10 } }
}
