import XCTest
final class RulesTestsPlaceholder: XCTestCase { func testNothing() {} }
