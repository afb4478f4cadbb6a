import XCTest

@testable import SigV4

/// The HMAC used for signing keys and signatures gives RFC 4231's results.
final class HMACSHA256Tests: XCTestCase {
    private func hex(_ key: [UInt8], _ message: String) -> String {
        Hex.encode(HMACSHA256.authenticationCode(key: key, message: Array(message.utf8)))
    }

    func testRFC4231ShortKey() {
        XCTAssertEqual(
            hex(Array("Jefe".utf8), "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    func testRFC4231KeyLongerThanABlockIsHashedFirst() {
        XCTAssertEqual(
            hex([UInt8](repeating: 0xAA, count: 131), "Test Using Larger Than Block-Size Key - Hash Key First"),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }

    func testRFC4231KeyOfExactlyTwentyBytes() {
        XCTAssertEqual(
            hex([UInt8](repeating: 0x0B, count: 20), "Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
    }
}
