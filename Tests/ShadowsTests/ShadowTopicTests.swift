import Shadows
import XCTest

final class ShadowTopicTests: XCTestCase {
    func testParsesClassicAndNamedRequestTopics() throws {
        let classic = try XCTUnwrap(ShadowTopic.parseRequest("$aws/things/pump-1/shadow/update"))
        XCTAssertEqual(classic.key, try ShadowKey(thingName: "pump-1"))
        XCTAssertEqual(classic.operation, .update)
        let named = try XCTUnwrap(ShadowTopic.parseRequest("$aws/things/pump-1/shadow/name/cfg:v2_a-b/delete"))
        XCTAssertEqual(named.key, try ShadowKey(thingName: "pump-1", shadowName: "cfg:v2_a-b"))
        XCTAssertEqual(named.operation, .delete)
        XCTAssertEqual(try ShadowTopic.parseRequest("$aws/things/t/shadow/get")?.operation, .get)
    }

    func testOtherTopicsAreNotRequests() throws {
        for topic in ["$aws/things/t/shadow/update/accepted", "$aws/things/t/shadow/update/delta",
                      "$aws/things/t/shadow/name/n/get/rejected", "$aws/things/t/shadow/list", "devices/t/shadow/update",
                      "$aws/things/t/shadows/update", "$aws/things/t/shadow/named/n/update", "$aws/things/t/shadow",
                      "$aws/things/t/shadow/name/n", "$aws/things/t/shadow/name/n/update/extra",
                      "$aws/things/t/shadow/name/n/update/a/b/c", "$aws/things/t/shadow/updat", "$aws/things/t/shadow/"] {
            XCTAssertNil(try ShadowTopic.parseRequest(topic), topic)
        }
    }

    func testBadNamesInRequestTopicsAreRejected() {
        let long = String(repeating: "a", count: 129)
        for topic in ["$aws/things/bad name/shadow/update", "$aws/things//shadow/get", "$aws/things/\(long)/shadow/get",
                      "$aws/things/t/shadow/name/\(String(repeating: "s", count: 65))/get",
                      "$aws/things/t/shadow/name//update", "$aws/things/t/shadow/name/a.b/update",
                      "$aws/things/tr\u{00E9}s/shadow/update"] {
            XCTAssertThrowsError(try ShadowTopic.parseRequest(topic), topic) { error in
                XCTAssertEqual((error as? ShadowError)?.code, 400, topic)
            }
        }
    }

    func testNameLimits() throws {
        XCTAssertNoThrow(try ShadowKey(thingName: String(repeating: "a", count: 128),
                                       shadowName: String(repeating: "b", count: 64)))
        XCTAssertThrowsError(try ShadowKey(thingName: String(repeating: "a", count: 129)))
        XCTAssertThrowsError(try ShadowKey(thingName: "a", shadowName: String(repeating: "b", count: 65)))
        XCTAssertThrowsError(try ShadowKey(thingName: "a/b"))
        XCTAssertThrowsError(try ShadowKey(thingName: "a", shadowName: "#"))
        XCTAssertThrowsError(try ShadowKey(thingName: "")) { error in
            XCTAssertEqual((error as? ShadowError)?.message, "The thing name is empty; it must match [a-zA-Z0-9:_-]{1,128}.")
        }
    }

    func testBuildsResponseTopics() throws {
        let classic = try ShadowKey(thingName: "pump-1")
        let named = try ShadowKey(thingName: "pump-1", shadowName: "config")
        XCTAssertEqual(ShadowTopic.response(classic, .getAccepted), "$aws/things/pump-1/shadow/get/accepted")
        XCTAssertEqual(ShadowTopic.response(classic, .updateRejected), "$aws/things/pump-1/shadow/update/rejected")
        XCTAssertEqual(ShadowTopic.response(named, .updateDelta), "$aws/things/pump-1/shadow/name/config/update/delta")
        XCTAssertEqual(ShadowTopic.response(named, .updateDocuments), "$aws/things/pump-1/shadow/name/config/update/documents")
        XCTAssertEqual(ShadowTopic.response(named, .deleteAccepted), "$aws/things/pump-1/shadow/name/config/delete/accepted")
        XCTAssertEqual(ShadowTopic.response(named, .accepted(.get)), "$aws/things/pump-1/shadow/name/config/get/accepted")
        XCTAssertEqual(ShadowTopic.response(classic, .rejected(.delete)), "$aws/things/pump-1/shadow/delete/rejected")
        XCTAssertEqual(ShadowTopic.request(named, .update), "$aws/things/pump-1/shadow/name/config/update")
        XCTAssertEqual(named.description, "pump-1~config")
        // Every built request topic parses back to the same key and operation.
        for key in [classic, named] {
            for op in ShadowOperation.allCases {
                let parsed = try XCTUnwrap(ShadowTopic.parseRequest(ShadowTopic.request(key, op)))
                XCTAssertEqual(parsed.key, key)
                XCTAssertEqual(parsed.operation, op)
            }
        }
    }

    func testNamedShadowsAreIndependentAndNamedIn404() throws {
        let named = try ShadowKey(thingName: "pump-1", shadowName: "config")
        guard case .failure(let e) = ShadowEngine.get(stored: nil, key: named, now: 1) else { return XCTFail() }
        XCTAssertEqual(e.message, "No shadow exists with name: 'config'")
    }
}
