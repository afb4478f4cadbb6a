import IoTCore

/// Writes JSON numbers and strings into a byte buffer without intermediate Strings, since a
/// simulator process formats tens of thousands of payloads per second.
enum PayloadWriter {
    static func write(_ value: FieldValue, into out: inout [UInt8]) {
        switch value {
        case .integer(let i): writeInteger(i, into: &out)
        case .number(let d, let decimals): writeDecimal(d, decimals: decimals, into: &out)
        case .json(let j): j.write(into: &out)
        }
    }

    static func writeInteger(_ value: Int64, into out: inout [UInt8]) {
        if value < 0 {
            out.append(UInt8(ascii: "-"))
            writeUnsigned(value == .min ? UInt64(Int64.max) + 1 : UInt64(-value), into: &out)
        } else {
            writeUnsigned(UInt64(value), into: &out)
        }
    }

    static func writeUnsigned(_ value: UInt64, into out: inout [UInt8]) {
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var v = value
        var n = 0
        withUnsafeMutableBytes(of: &digits) { buf in
            repeat {
                buf[n] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
                n += 1
            } while v > 0
            for i in stride(from: n - 1, through: 0, by: -1) { out.append(buf[i]) }
        }
    }

    private static let powers: [Double] = (0...15).map { p in (0..<p).reduce(1.0) { r, _ in r * 10 } }

    /// `value` rounded to `decimals` places, trailing zeros dropped (`60.100` → `60.1`, `2.000` → `2`).
    static func writeDecimal(_ value: Double, decimals: Int, into out: inout [UInt8]) {
        guard value.isFinite else {
            out.append(contentsOf: Array("null".utf8))
            return
        }
        let scale = powers[min(max(decimals, 0), 15)]
        let scaled = (abs(value) * scale).rounded()
        guard scaled < 9e18 else {
            out.append(contentsOf: Array(JSONValue.double(value).serialized().utf8))
            return
        }
        var units = UInt64(scaled)
        if units == 0 {
            out.append(UInt8(ascii: "0"))
            return
        }
        if value < 0 { out.append(UInt8(ascii: "-")) }
        var places = decimals
        while places > 0 && units % 10 == 0 {
            units /= 10
            places -= 1
        }
        let divisor = UInt64(powers[places])
        writeUnsigned(units / divisor, into: &out)
        if places > 0 {
            out.append(UInt8(ascii: "."))
            var fraction = units % divisor
            var digits = [UInt8](repeating: UInt8(ascii: "0"), count: places)
            for i in stride(from: places - 1, through: 0, by: -1) {
                digits[i] = UInt8(ascii: "0") + UInt8(fraction % 10)
                fraction /= 10
            }
            out.append(contentsOf: digits)
        }
    }
}
