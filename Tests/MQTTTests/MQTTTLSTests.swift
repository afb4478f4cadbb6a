import Broker
import Foundation
import MQTT
import XCTest

final class MQTTTLSTests: XCTestCase {
    func testTLSConnectPublishSubscribeAndUntrustedCAFails() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tls-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let certificates = try TestCertificates(directory: directory)
        let tlsPort = try FreePort.pick()
        let broker = try await TestBroker.start { config in
            config.tls = .init(port: tlsPort, caFile: certificates.caFile, certFile: certificates.certFile, keyFile: certificates.keyFile)
        }
        let loop = MQTTEventLoop(name: "tls-loop")
        defer { loop.shutdown() }

        var configuration = broker.clientConfiguration(id: "tls")
        configuration.port = tlsPort
        configuration.tls = .init(caFile: certificates.caFile)
        let client = try MQTTClient(configuration: configuration, eventLoop: loop)
        let received = Recorder<MQTTMessage>()
        client.onMessage { received.append($0) }
        try await client.connect()
        try await client.subscribe("tls/#")
        try await client.publish(topic: "tls/a", payload: "secret", qos: .atLeastOnce)
        try await waitUntil("the message comes back over TLS") { received.count == 1 }
        XCTAssertEqual(received.all.first?.payload, Array("secret".utf8))
        await client.disconnect()

        // A CA that did not sign the broker's certificate must not be trusted.
        let other = try TestCertificates(directory: directory + "/other")
        configuration.clientID = "tls-untrusted"
        configuration.tls = .init(caFile: other.caFile)
        let untrusted = try MQTTClient(configuration: configuration, eventLoop: loop)
        do {
            try await untrusted.connect()
            XCTFail("a broker certificate from an unknown CA must be refused")
        } catch let error as MQTTError {
            XCTAssertEqual(error.description, "Could not connect to 127.0.0.1:\(tlsPort): the TLS handshake failed (is the broker's certificate signed by the configured CA, and does it name the host?).")
        }
        await broker.stop()
    }
}
