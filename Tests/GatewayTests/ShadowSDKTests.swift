import Foundation
import GatewayTesting
import XCTest

/// Unmodified AWS SDK (boto3, SigV4) and paho-mqtt code against the gateway.
final class ShadowSDKTests: XCTestCase {
    func testBoto3AndPahoWorkUnmodified() async throws {
        let gw = try await TestGateway.start()
        defer { Task { try? await gw.stop() } }
        let keyId = try XCTUnwrap(try gw.adminKeyId())
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Python/aws_sdk_check.py").path
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        // `--flag=value`: secrets are base64url and may start with "-", which argparse
        // would otherwise read as an option.
        p.arguments = [
            "python3", script, "--http-port=\(gw.httpPort)", "--mqtt-port=\(gw.mqttPort)", "--key-id=\(keyId)",
            "--secret=\(gw.adminSecret)", "--thing=pump-0008", "--thing-password=\(try gw.password(for: "pump-0008"))",
        ]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, text + "\n" + gw.logs())
        XCTAssertTrue(text.contains("all checks passed"), text)
    }
}
