import Devices

/// Builds one device's telemetry payloads: `{"seq":…,"ts":…, fields…}`, dotted field names nested.
public struct TelemetryGenerator: Sendable {
    private var fields: [FieldGenerator]
    private var values: [FieldValue]
    private let layout: [Token]
    public private(set) var random: SeededRandom

    /// The shape of the payload after `seq` and `ts`, worked out once per device type.
    enum Token: Sendable {
        case open(key: [UInt8])
        case field(index: Int, key: [UInt8])
        case close
    }

    public init(type: DeviceType, random: SeededRandom) {
        fields = type.telemetry.map { FieldGenerator($0.generator) }
        values = []
        values.reserveCapacity(fields.count)
        layout = Self.layout(type.telemetry.map(\.name))
        self.random = random
    }

    /// Groups dotted names under their parents, keeping first-appearance order at each level.
    static func layout(_ names: [String]) -> [Token] {
        final class Level {
            var order: [String] = []
            var children: [String: Level] = [:]
            var leaves: [String: Int] = [:]
        }
        let root = Level()
        for (index, name) in names.enumerated() {
            let parts = name.split(separator: ".").map(String.init)
            var level = root
            for part in parts.dropLast() {
                if level.children[part] == nil {
                    level.children[part] = Level()
                    level.order.append(part)
                }
                level = level.children[part]!
            }
            level.leaves[parts.last!] = index
            level.order.append(parts.last!)
        }
        func tokens(_ level: Level) -> [Token] {
            level.order.flatMap { key -> [Token] in
                let quoted = Array("\"\(key)\":".utf8)
                if let index = level.leaves[key] { return [.field(index: index, key: quoted)] }
                return [.open(key: quoted)] + tokens(level.children[key]!) + [.close]
            }
        }
        return tokens(root)
    }

    /// The next payload, written into `out` (cleared first).
    public mutating func payload(seq: Int64, nowMillis: Int64, elapsed: Double, into out: inout [UInt8]) {
        values.removeAll(keepingCapacity: true)
        for i in fields.indices {
            values.append(fields[i].next(elapsed: elapsed, nowMillis: nowMillis, random: &random))
        }
        out.removeAll(keepingCapacity: true)
        out.append(contentsOf: Self.seqKey)
        PayloadWriter.writeInteger(seq, into: &out)
        out.append(contentsOf: Self.tsKey)
        PayloadWriter.writeInteger(nowMillis, into: &out)
        var needsComma = true
        for token in layout {
            switch token {
            case .open(let key):
                if needsComma { out.append(UInt8(ascii: ",")) }
                out.append(contentsOf: key)
                out.append(UInt8(ascii: "{"))
                needsComma = false
            case .field(let index, let key):
                if needsComma { out.append(UInt8(ascii: ",")) }
                out.append(contentsOf: key)
                PayloadWriter.write(values[index], into: &out)
                needsComma = true
            case .close:
                out.append(UInt8(ascii: "}"))
                needsComma = true
            }
        }
        out.append(UInt8(ascii: "}"))
    }

    private static let seqKey = Array("{\"seq\":".utf8)
    private static let tsKey = Array(",\"ts\":".utf8)
}
