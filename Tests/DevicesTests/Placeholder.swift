import XCTest
final class DevicesTestsPlaceholder: XCTestCase { func testNothing() {} }
