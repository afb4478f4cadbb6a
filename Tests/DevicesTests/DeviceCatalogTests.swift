import Devices
import Foundation
import IoTCore
import Testing

@Suite struct DeviceCatalogTests {
    /// The repository's `devices/` folder, found from this file so the test runs from any directory.
    static let shippedDevices: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.appendingPathComponent("devices").path
    }()

    @Test func shippedFolderLoadsTenPumps() throws {
        let catalog = try DeviceCatalog.load(directory: Self.shippedDevices)
        let pump = try #require(catalog.deviceTypes["pump"])
        #expect(pump.telemetry.map(\.name) == ["temperature", "pressure", "vibration", "status"])
        #expect(pump.interval == .seconds(5))
        #expect(pump.jitter == 0.1)
        #expect(pump.qos == 1)
        #expect(pump.shadow?.reported["firmware"] == .string("1.4.2"))
        #expect(pump.shadow?.reported["setpoint"] == .int(60))
        #expect(pump.shadow?.applyDesiredDelay == .milliseconds(500))
        let things = catalog.things()
        #expect(things.map(\.name) == (0..<10).map { "pump-000\($0)" })
        #expect(things[3] == ThingSpec(name: "pump-0003", typeName: "pump", fleetName: "pumps", index: 3,
                                       telemetryTopic: "devices/pump-0003/telemetry"))
        #expect(pump.telemetryTopicFilter == "devices/+/telemetry")
    }

    @Test func generatorParametersAreRead() throws {
        let catalog = try DeviceCatalog.parse(yaml: """
            deviceTypes:
              - name: meter
                topic: "site/{thing}/data"
                interval: 1.5s
                telemetry:
                  a: { generator: constant, value: on }
                  b: { generator: uniform, min: -1, max: 1, decimals: 0 }
                  c: { generator: gaussian, mean: 5, stddev: 2 }
                  d: { generator: sine, amplitude: 2, offset: 10, period: 1m, phase: 0.25 }
                  e: { generator: sine, min: 0, max: 4, period: 10s }
                  f: { generator: randomWalk, start: 1, step: 0.5 }
                  g: { generator: step, low: 0, high: 1, period: 2s, duty: 0.25 }
                  h: { generator: counter, start: 10, increment: 2 }
                  i: { generator: choice, values: [x, 2, true] }
                  motor.temp: { generator: timestamp }
            """, file: "m.yaml")
        let meter = try #require(catalog.deviceTypes["meter"])
        #expect(meter.interval == .milliseconds(1500))
        #expect(meter.telemetryTopic(for: "m-1") == "site/m-1/data")
        let g = Dictionary(uniqueKeysWithValues: meter.telemetry.map { ($0.name, $0.generator) })
        #expect(g["a"]?.kind == .constant(.bool(true)))
        #expect(g["b"] == GeneratorSpec(.uniform(min: -1, max: 1), decimals: 0))
        #expect(g["c"]?.kind == .gaussian(mean: 5, stddev: 2, min: nil, max: nil))
        #expect(g["d"]?.kind == .sine(amplitude: 2, offset: 10, period: .seconds(60), phase: 0.25))
        #expect(g["e"]?.kind == .sine(amplitude: 2, offset: 2, period: .seconds(10), phase: 0))
        #expect(g["f"]?.kind == .randomWalk(start: 1, step: 0.5, min: nil, max: nil))
        #expect(g["g"]?.kind == .square(low: 0, high: 1, period: .seconds(2), duty: 0.25))
        #expect(g["h"]?.kind == .counter(start: 10, increment: 2))
        #expect(g["i"]?.kind == .choice(values: [.string("x"), .int(2), .bool(true)], weights: nil))
        #expect(g["motor.temp"]?.kind == .timestamp)
    }

    @Test func fleetsExpandWithStartAndLookup() throws {
        let catalog = try DeviceCatalog.parse(yaml: """
            deviceTypes: [{ name: t }]
            fleets:
              - { name: a, type: t, count: 3, idPattern: "a-{00}", start: 8 }
              - { name: b, type: t, count: 2, idPattern: "site:{0}:b" }
            """, file: "f.yaml")
        #expect(catalog.things().map(\.name) == ["a-08", "a-09", "a-10", "site:0:b", "site:1:b"])
        #expect(catalog.thing(named: "a-10")?.index == 10)
        #expect(catalog.thing(named: "a-11") == nil)
        #expect(catalog.thing(named: "a-7") == nil)
        #expect(catalog.thing(named: "site:1:b")?.fleetName == "b")
        let a = try #require(catalog.fleet(named: "a"))
        #expect(catalog.things(in: a, count: 5).last?.name == "a-12")
    }

    @Test func emptyFileIsAnEmptyCatalog() throws {
        let catalog = try DeviceCatalog.parse(yaml: "# nothing yet\n", file: "e.yaml")
        #expect(catalog.fleets.isEmpty && catalog.deviceTypes.isEmpty)
    }
}
