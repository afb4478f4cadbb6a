import XCTest
final class SimulatorTestsPlaceholder: XCTestCase { func testNothing() {} }
