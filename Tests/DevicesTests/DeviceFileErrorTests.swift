import Devices
import Foundation
import Testing

/// Each bad input must name its file and line, so a user can go straight to it.
@Suite struct DeviceFileErrorTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var yaml: String
        var kind: DeviceFileError.Kind
        var line: Int
        var says: String
        var testDescription: String { says }
    }

    static let header = "deviceTypes:\n  - name: pump\n    telemetry:\n"

    static let cases: [Case] = [
        Case(yaml: header + "      temperature: { generator: gausian, mean: 60 }\n", kind: .unknownGenerator, line: 4,
             says: "unknown generator \"gausian\" for field \"temperature\" (known: constant, uniform, gaussian"),
        Case(yaml: header + "      t: { generator: gaussian, mean: 60, stdev: 3 }\n", kind: .unknownKey, line: 4,
             says: "unknown key \"stdev\" in field \"t\" (generator gaussian)"),
        Case(yaml: header + "      t: { generator: gaussian, mean: 60 }\n", kind: .missingKey, line: 4,
             says: "missing key \"stddev\" in field \"t\""),
        Case(yaml: header + "      t: { generator: uniform, min: 5, max: 1 }\n", kind: .invalidValue, line: 4,
             says: "\"max\" of field \"t\" (1.0) must not be below min (5.0)"),
        Case(yaml: header + "      t: { generator: uniform, min: low, max: 1 }\n", kind: .invalidValue, line: 4,
             says: "expected a number for \"min\" of field \"t\", found \"low\""),
        Case(yaml: header + "      t: { generator: sine, min: 0, max: 1, period: 10 }\n", kind: .invalidValue, line: 4,
             says: "expected a duration such as 500ms, 5s or 2m for \"period\" of field \"t\""),
        Case(yaml: header + "      t: { generator: choice, values: [a, b], weights: [1] }\n", kind: .invalidValue, line: 4,
             says: "\"weights\" of field \"t\" must have one weight per value (2), found 1"),
        Case(yaml: header + "      seq: { generator: counter }\n", kind: .invalidValue, line: 4,
             says: "field name \"seq\" of device type \"pump\" is reserved"),
        Case(yaml: header + "      a: { generator: counter }\n      a.b: { generator: counter }\n", kind: .invalidValue, line: 5,
             says: "field \"a.b\" of device type \"pump\" clashes with field \"a\""),
        Case(yaml: "deviceTypes:\n  - name: pump\n    colour: red\n", kind: .unknownKey, line: 3,
             says: "unknown key \"colour\" in a device type (known: name, description"),
        Case(yaml: "deviceTypes:\n  - name: pump\n    qos: 3\n", kind: .invalidValue, line: 3,
             says: "\"qos\" of device type \"pump\" must be 0, 1 or 2, found 3"),
        Case(yaml: "deviceTypes:\n  - name: pump\n    jitter: 1.5\n", kind: .invalidValue, line: 3,
             says: "\"jitter\" of device type \"pump\" must be a fraction between 0 and 1"),
        Case(yaml: "deviceTypes:\n  - name: pump\n    interval: 0s\n", kind: .invalidValue, line: 3,
             says: "\"interval\" of device type \"pump\" must be longer than zero"),
        Case(yaml: "deviceTypes:\n  - name: pump\n    topic: devices/telemetry\n", kind: .invalidTopic, line: 3,
             says: "must contain a {thing} level"),
        Case(yaml: "deviceTypes:\n  - name: pump\n    topic: \"devices/{thing}/#\"\n", kind: .invalidTopic, line: 3,
             says: "is not a valid MQTT topic name"),
        Case(yaml: "deviceTypes:\n  - name: pump\n    topic: \"d/x{thing}/t\"\n", kind: .invalidTopic, line: 3,
             says: "{thing} must fill a whole level"),
        Case(yaml: "deviceTypes:\n  - name: pump\n    shadow: { reported: 3 }\n", kind: .invalidValue, line: 3,
             says: "expected a mapping for \"shadow.reported\""),
        Case(yaml: "deviceTypes:\n  - name: pump\n  - name: pump\n", kind: .duplicateName, line: 3,
             says: "device type \"pump\" is already defined at d.yaml:2"),
        Case(yaml: "deviceTypes:\n  - name: pump/x\n", kind: .invalidValue, line: 2,
             says: "device type name \"pump/x\" must be 1 to 128 letters"),
        Case(yaml: "deviceTypes:\n  - name: pump\n    telemetry:\n      t: { generator: counter }\n      t: { generator: counter }\n",
             kind: .duplicateName, line: 4, says: "duplicate key \"t\""),
        Case(yaml: "deviceTypes: [\n", kind: .syntax, line: 2, says: "invalid YAML"),
        Case(yaml: "devicetypes: []\n", kind: .unknownKey, line: 1,
             says: "unknown key \"devicetypes\" in the file (known: deviceTypes, fleets)"),
        Case(yaml: "fleets:\n  - { name: p, type: pmp, count: 1, idPattern: \"p-{0}\" }\n", kind: .unknownDeviceType, line: 2,
             says: "unknown device type \"pmp\" for fleet \"p\" (known: none)"),
        Case(yaml: "deviceTypes: [{ name: t }]\nfleets:\n  - name: p\n    type: t\n    count: -1\n    idPattern: \"p-{0}\"\n",
             kind: .invalidValue, line: 5, says: "\"count\" of fleet \"p\" must be between 0 and 1000000, found -1"),
        Case(yaml: "deviceTypes: [{ name: t }]\nfleets:\n  - name: p\n    type: t\n    count: 2\n    idPattern: \"pump\"\n",
             kind: .invalidIdPattern, line: 6, says: "idPattern \"pump\" has no index placeholder such as {0000} in fleet \"p\""),
        Case(yaml: "deviceTypes: [{ name: t }]\nfleets:\n  - name: p\n    type: t\n    count: 2\n    idPattern: \"pump/{00}\"\n",
             kind: .invalidIdPattern, line: 6, says: "contains \"/\", which thing names may not"),
        Case(yaml: "deviceTypes: [{ name: t }]\nfleets:\n  - name: p\n    type: t\n    count: 2\n    idPattern: \"p-{0x0}\"\n",
             kind: .invalidIdPattern, line: 6, says: "write zeros for the padded width"),
        Case(yaml: "deviceTypes: [{ name: t }]\nfleets:\n  - name: p\n    type: t\n    count: 2\n    idPattern: \"\(String(repeating: "p", count: 128)){0}\"\n",
             kind: .invalidIdPattern, line: 6, says: "makes thing names longer than 128 characters"),
        Case(yaml: "deviceTypes: [{ name: t }]\nfleets:\n  - { name: a, type: t, count: 20, idPattern: \"p-{0}\" }\n  - { name: b, type: t, count: 5, idPattern: \"p-{00}\", start: 10 }\n",
             kind: .duplicateName, line: 4, says: "fleet \"b\" makes thing \"p-10\", which fleet \"a\" at d.yaml:3 also makes"),
        Case(yaml: "deviceTypes: [{ name: t }]\nfleets:\n  - { name: a, type: t, count: 1, idPattern: \"a{0}\" }\n  - { name: a, type: t, count: 1, idPattern: \"b{0}\" }\n",
             kind: .duplicateName, line: 4, says: "fleet \"a\" is already defined at d.yaml:3"),
        Case(yaml: "fleets:\n  - { name: a, type: t, count: 1 }\n", kind: .missingKey, line: 2,
             says: "missing key \"idPattern\" in a fleet"),
    ]

    @Test(arguments: cases) func errorNamesFileAndLine(_ c: Case) {
        #expect {
            _ = try DeviceCatalog.parse(yaml: c.yaml, file: "d.yaml")
        } throws: { error in
            guard let e = error as? DeviceFileError else { return false }
            #expect(e.kind == c.kind)
            #expect(e.file == "d.yaml")
            #expect(e.line == c.line)
            #expect(e.description.hasPrefix("d.yaml:\(c.line): "))
            #expect(e.message.contains(c.says), "message was: \(e.message)")
            return true
        }
    }

    @Test func unknownGeneratorMessageMatchesTheDocumentedForm() {
        let yaml = "deviceTypes:\n  - name: pump\n    telemetry:\n\n\n\n      temperature: { generator: gausian }\n"
        #expect {
            _ = try DeviceCatalog.parse(yaml: yaml, file: "devices/pump.yaml")
        } throws: { error in
            (error as? DeviceFileError)?.description == "devices/pump.yaml:7: unknown generator \"gausian\" for field \"temperature\" (known: constant, uniform, gaussian, sine, randomWalk, step, square, counter, choice, timestamp)"
        }
    }

    @Test func duplicateAcrossFilesNamesBothFiles() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("devices-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "deviceTypes:\n  - name: pump\n".write(toFile: dir + "/a.yaml", atomically: true, encoding: .utf8)
        try "# second\ndeviceTypes:\n  - name: pump\n".write(toFile: dir + "/b.yml", atomically: true, encoding: .utf8)
        try "not: yaml we read".write(toFile: dir + "/notes.txt", atomically: true, encoding: .utf8)
        #expect {
            _ = try DeviceCatalog.load(directory: dir)
        } throws: { error in
            (error as? DeviceFileError)?.description == "\(dir)/b.yml:3: device type \"pump\" is already defined at \(dir)/a.yaml:2"
        }
    }

    @Test func fleetMayUseATypeFromAnotherFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("devices-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "fleets:\n  - { name: f, type: t, count: 2, idPattern: \"f{0}\" }\n".write(toFile: dir + "/a.yaml", atomically: true, encoding: .utf8)
        try "deviceTypes:\n  - name: t\n".write(toFile: dir + "/b.yaml", atomically: true, encoding: .utf8)
        #expect(try DeviceCatalog.load(directory: dir).things().map(\.name) == ["f0", "f1"])
    }

    @Test func missingFolderIsAnError() {
        #expect {
            _ = try DeviceCatalog.load(directory: "/nonexistent/devices")
        } throws: { error in
            (error as? DeviceFileError)?.kind == .unreadable
        }
    }
}
