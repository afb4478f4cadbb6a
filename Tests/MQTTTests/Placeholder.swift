import XCTest
final class MQTTTestsPlaceholder: XCTestCase { func testNothing() {} }
