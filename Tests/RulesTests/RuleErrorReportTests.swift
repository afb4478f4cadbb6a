import IoTCore
import XCTest

@testable import Rules

final class RuleErrorReportTests: XCTestCase {
    func testAWSErrorActionShape() {
        let m = RuleMessage(topic: "d/1/t", bytes: Array(#"{"a":1}"#.utf8), clientId: "dev-1", traceId: "tr")
        let report = RuleErrorReport(
            ruleName: "overheat", message: m,
            failures: [.init(failedAction: "republish", failedResource: "alerts/1", errorMessage: "The broker refused the publish.")])
        XCTAssertEqual(
            report.json.serialized(),
            #"{"ruleName":"overheat","topic":"d/1/t","clientId":"dev-1","traceId":"tr","base64OriginalPayload":"eyJhIjoxfQ==","failures":[{"failedAction":"republish","failedResource":"alerts/1","errorMessage":"The broker refused the publish."}]}"#)
    }
}
