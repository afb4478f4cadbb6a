import XCTest
final class ShadowsTestsPlaceholder: XCTestCase { func testNothing() {} }
