import Devices
import Foundation
import Testing

@Suite struct DeviceCredentialsTests {
    @Test func passwordIsHMACSHA256InBase64URL() {
        let key = (0..<32).map(UInt8.init)
        // Reference value from Python: base64.urlsafe_b64encode(hmac.new(bytes(range(32)), b"pump-0000", sha256).digest())
        #expect(DeviceCredentials.password(for: "pump-0000", key: key) == "wO3RqkiAar3MwJSUDuC9Uc1aNbQHbFl2yPckz34mH1A")
        #expect(DeviceCredentials.password(for: "pump-0000", key: key) == DeviceCredentials.password(for: "pump-0000", key: key))
        #expect(DeviceCredentials.password(for: "pump-0001", key: key) != DeviceCredentials.password(for: "pump-0000", key: key))
    }

    @Test func keyIsCreatedOnceWithMode0600() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("data-\(UUID().uuidString)/nested").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let key = try DeviceCredentials.loadOrCreateKey(dataDirectory: dir)
        #expect(key.count == 32)
        let attributes = try FileManager.default.attributesOfItem(atPath: dir + "/device.key")
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(try DeviceCredentials.loadOrCreateKey(dataDirectory: dir) == key)
        #expect(try DeviceCredentials.loadKey(dataDirectory: dir) == key)
    }

    @Test func missingOrShortKeyIsAnError() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("data-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(throws: DeviceKeyError.self) { try DeviceCredentials.loadKey(dataDirectory: dir) }
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: dir + "/device.key"))
        #expect(throws: DeviceKeyError.self) { try DeviceCredentials.loadOrCreateKey(dataDirectory: dir) }
    }
}
