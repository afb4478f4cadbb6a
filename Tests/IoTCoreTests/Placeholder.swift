import XCTest
final class IoTCoreTestsPlaceholder: XCTestCase { func testNothing() {} }
