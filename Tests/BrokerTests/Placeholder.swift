import XCTest
final class BrokerTestsPlaceholder: XCTestCase { func testNothing() {} }
