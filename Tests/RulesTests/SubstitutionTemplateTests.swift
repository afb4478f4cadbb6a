import IoTCore
import XCTest

@testable import Rules

/// `${expression}` templates (https://docs.aws.amazon.com/iot/latest/developerguide/iot-substitution-templates.html).
final class SubstitutionTemplateTests: XCTestCase {
    let message = Fixture.message(#"{"device_id":"p-7","temp":21.5,"tags":["a"],"o":{"k":"v"}}"#, topic: "devices/p-7/telemetry")

    func testRendering() throws {
        let rows: [(String, String)] = [
            ("plain/topic", "plain/topic"),
            ("device/${device_id}", "device/p-7"),
            ("${topic(1)}/${topic(2)}/alerts", "devices/p-7/alerts"),
            ("t=${temp * 2}", "t=43"),
            ("${missing}|${null}", "|"),
            ("${o}", #"{"k":"v"}"#),
            ("${concat('{', '}')}", "{}"),
            ("${ {'a': 1}.a }", "1"),
            ("${'}'}", "}"),
            ("cost $5 and ${tags[0]}", "cost $5 and a"),
        ]
        for (template, expected) in rows {
            XCTAssertEqual(try SubstitutionTemplate(template).render(message), expected, template)
        }
        XCTAssertTrue(try SubstitutionTemplate("a/b").isConstant)
        XCTAssertFalse(try SubstitutionTemplate("a/${topic()}").isConstant)
    }

    func testErrorsPointInsideTheTemplate() {
        let rows: [(String, Int, String)] = [
            ("a/${topic(}", 11, "ends where"), ("x${", 2, "no closing"), ("${}", 1, "empty"), ("ab/${nofn(1)}", 6, "Unknown function"),
        ]
        for (template, column, text) in rows {
            XCTAssertThrowsError(try SubstitutionTemplate(template), template) { error in
                guard let e = error as? RuleSQLError else { return XCTFail("\(error)") }
                XCTAssertEqual(e.column, column, "\(template): \(e)")
                XCTAssertTrue(e.message.contains(text), e.message)
            }
        }
    }
}
