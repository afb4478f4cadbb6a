import XCTest

@testable import SigV4

/// Request timestamps parse and print the way SigV4 signs them.
final class AmzDateTests: XCTestCase {
    func testBasicFormatRoundTrips() {
        for (text, seconds) in [
            ("19700101T000000Z", Int64(0)), ("20261127T123456Z", 1_795_782_896), ("20280229T235959Z", 1_835_481_599),
            ("20000301T000000Z", 951_868_800),
        ] {
            XCTAssertEqual(AmzDate.parseBasic(text), seconds, text)
            XCTAssertEqual(AmzDate.formatBasic(seconds), text)
        }
    }

    func testBasicFormatRejectsOtherISO8601Forms() {
        for text in ["2026-11-27T12:34:56Z", "20261127T123456", "20261327T123456Z", "20261127T123456+0000", ""] {
            XCTAssertNil(AmzDate.parseBasic(text), text)
        }
    }

    func testHTTPDatesInTheFormsClientsSend() {
        XCTAssertEqual(AmzDate.parseHTTP("Fri, 27 Nov 2026 12:34:56 GMT"), 1_795_782_896)
        XCTAssertEqual(AmzDate.parseHTTP("Fri, 27 Nov 2026 12:34:56 -0000"), 1_795_782_896)
        XCTAssertEqual(AmzDate.parseHTTP("Fri, 27 Nov 2026 13:34:56 +0100"), 1_795_782_896)
        XCTAssertNil(AmzDate.parseHTTP("27/11/2026 12:34:56"))
        XCTAssertNil(AmzDate.parseHTTP("Fri, 27 Foo 2026 12:34:56 GMT"))
    }
}
