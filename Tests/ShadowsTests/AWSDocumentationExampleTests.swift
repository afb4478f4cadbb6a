import IoTCore
import Shadows
import XCTest

/// Every example of inputs and outputs in the AWS IoT Developer Guide's shadow pages, replayed
/// with the documented timestamps. Where a page starts mid-history (version 3, 10, 17…), the
/// test starts from a shadow at the version before it.
final class AWSDocumentationExampleTests: XCTestCase {
    // "Simulating Device Shadow service communications" (using-device-shadows), named shadow
    // simShadow1 of mySimulatedThing, start to end.
    func testSimulatingDeviceShadowServiceCommunications() throws {
        let key = try ShadowKey(thingName: "mySimulatedThing", shadowName: "simShadow1")

        // Get before the shadow exists.
        guard case .failure(let notFound) = ShadowEngine.get(stored: nil, key: key, now: 1591140000) else {
            return XCTFail("get of a missing shadow succeeded")
        }
        assertJSON(notFound.responseBody(now: 1591140000),
                   #"{"code": 404, "message": "No shadow exists with name: 'simShadow1'"}"#)

        // The device creates the shadow. The page shows version 3, so two versions came before.
        let created = try accept(.deleted(version: 2), """
            {"state": {"reported": {"ID": "SmartLamp21", "ColorRGB": [128, 128, 128]}},
             "clientToken": "426bfd96-e720-46d3-95cd-014e3ef12bb6"}
            """, now: 1591140517)
        assertJSON(created.accepted, """
            {"state": {"reported": {"ID": "SmartLamp21", "ColorRGB": [128, 128, 128]}},
             "metadata": {"reported": {"ID": {"timestamp": 1591140517},
               "ColorRGB": [{"timestamp": 1591140517}, {"timestamp": 1591140517}, {"timestamp": 1591140517}]}},
             "version": 3, "timestamp": 1591140517, "clientToken": "426bfd96-e720-46d3-95cd-014e3ef12bb6"}
            """)
        XCTAssertNil(created.delta)

        // The app reads it.
        assertJSON(try ShadowEngine.get(stored: created.stored, key: key, now: 1591141111).get(), """
            {"state": {"reported": {"ID": "SmartLamp21", "ColorRGB": [128, 128, 128]}},
             "metadata": {"reported": {"ID": {"timestamp": 1591140517},
               "ColorRGB": [{"timestamp": 1591140517}, {"timestamp": 1591140517}, {"timestamp": 1591140517}]}},
             "version": 3, "timestamp": 1591141111}
            """)

        // The app asks for yellow: accepted and a delta.
        let desired = try accept(created.stored, """
            {"state":{"desired":{"ColorRGB":[255,255,0]}},"clientToken":"21b21b21-bfd2-4279-8c65-e2f697ff4fab"}
            """, now: 1591141596)
        assertJSON(desired.accepted, """
            {"state": {"desired": {"ColorRGB": [255, 255, 0]}},
             "metadata": {"desired": {"ColorRGB": [{"timestamp": 1591141596}, {"timestamp": 1591141596},
               {"timestamp": 1591141596}]}},
             "version": 4, "timestamp": 1591141596, "clientToken": "21b21b21-bfd2-4279-8c65-e2f697ff4fab"}
            """)
        assertJSON(desired.delta, """
            {"version": 4, "timestamp": 1591141596, "state": {"ColorRGB": [255, 255, 0]},
             "metadata": {"ColorRGB": [{"timestamp": 1591141596}, {"timestamp": 1591141596}, {"timestamp": 1591141596}]},
             "clientToken": "21b21b21-bfd2-4279-8c65-e2f697ff4fab"}
            """)

        // The device reports yellow: accepted, documents with previous and current, no delta.
        let reported = try accept(desired.stored, """
            {"state": {"reported": {"ColorRGB": [255,255,0]}}, "clientToken": "a4dc2227-9213-4c6a-a6a5-053304f60258"}
            """, now: 1591142747)
        assertJSON(reported.accepted, """
            {"state": {"reported": {"ColorRGB": [255, 255, 0]}},
             "metadata": {"reported": {"ColorRGB": [{"timestamp": 1591142747}, {"timestamp": 1591142747},
               {"timestamp": 1591142747}]}},
             "version": 5, "timestamp": 1591142747, "clientToken": "a4dc2227-9213-4c6a-a6a5-053304f60258"}
            """)
        XCTAssertNil(reported.delta)
        assertJSON(reported.documents, """
            {"previous": {
               "state": {"desired": {"ColorRGB": [255, 255, 0]}, "reported": {"ID": "SmartLamp21", "ColorRGB": [128, 128, 128]}},
               "metadata": {
                 "desired": {"ColorRGB": [{"timestamp": 1591141596}, {"timestamp": 1591141596}, {"timestamp": 1591141596}]},
                 "reported": {"ID": {"timestamp": 1591140517},
                   "ColorRGB": [{"timestamp": 1591140517}, {"timestamp": 1591140517}, {"timestamp": 1591140517}]}},
               "version": 4},
             "current": {
               "state": {"desired": {"ColorRGB": [255, 255, 0]}, "reported": {"ID": "SmartLamp21", "ColorRGB": [255, 255, 0]}},
               "metadata": {
                 "desired": {"ColorRGB": [{"timestamp": 1591141596}, {"timestamp": 1591141596}, {"timestamp": 1591141596}]},
                 "reported": {"ID": {"timestamp": 1591140517},
                   "ColorRGB": [{"timestamp": 1591142747}, {"timestamp": 1591142747}, {"timestamp": 1591142747}]}},
               "version": 5},
             "timestamp": 1591142747, "clientToken": "a4dc2227-9213-4c6a-a6a5-053304f60258"}
            """)

        // The app reads the synchronized shadow: no delta.
        assertJSON(try ShadowEngine.get(stored: reported.stored, key: key, now: 1591143269).get(), """
            {"state": {"desired": {"ColorRGB": [255, 255, 0]}, "reported": {"ID": "SmartLamp21", "ColorRGB": [255, 255, 0]}},
             "metadata": {
               "desired": {"ColorRGB": [{"timestamp": 1591141596}, {"timestamp": 1591141596}, {"timestamp": 1591141596}]},
               "reported": {"ID": {"timestamp": 1591140517},
                 "ColorRGB": [{"timestamp": 1591142747}, {"timestamp": 1591142747}, {"timestamp": 1591142747}]}},
             "version": 5, "timestamp": 1591143269}
            """)
    }

    // "Interacting with shadows" (device-shadow-data-flow), optimistic locking.
    func testOptimisticLocking() throws {
        let initial = StoredShadow(desired: json(#"{"colors": ["RED", "GREEN", "BLUE"]}"#).objectValue, reported: nil,
                                   desiredMetadata: nil, reportedMetadata: nil, version: 10)
        let conflict = reject(initial, [UInt8]("""
            {"state": {"desired": {"colors": ["BLUE"]}}, "version": 9,
             "clientToken": "426bfd96-e720-46d3-95cd-014e3ef12bb6"}
            """), now: 1591140517)
        assertJSON(conflict?.responseBody(now: 1591140517),
                   #"{"code": 409, "message": "Version conflict", "clientToken": "426bfd96-e720-46d3-95cd-014e3ef12bb6"}"#)

        let ok = try accept(initial, #"{"state": {"desired": {"colors": ["BLUE"]}}, "version": 10}"#, now: 1591140600)
        XCTAssertEqual(ok.stored.version, 11)
        XCTAssertEqual(ok.stored.desired.map { JSONValue.object($0) }, json(#"{"colors": ["BLUE"]}"#))
    }

    // "Interacting with shadows": a client's desired update and a device's reported update,
    // then deleting the engine property with null.
    func testUpdateRequestsAndPropertyDeletion() throws {
        let first = try accept(nil, #"{"state": {"desired": {"color": {"r": 10}, "engine": "ON"}}}"#, now: 100)
        assertJSON(first.accepted, """
            {"state": {"desired": {"color": {"r": 10}, "engine": "ON"}},
             "metadata": {"desired": {"color": {"r": {"timestamp": 100}}, "engine": {"timestamp": 100}}},
             "version": 1, "timestamp": 100}
            """)
        assertJSON(first.delta, """
            {"state": {"color": {"r": 10}, "engine": "ON"},
             "metadata": {"color": {"r": {"timestamp": 100}}, "engine": {"timestamp": 100}},
             "version": 1, "timestamp": 100}
            """)
        let second = try accept(first.stored, #"{"state": {"reported": {"color": {"r": 10}, "engine": "ON"}}}"#, now: 101)
        XCTAssertNil(second.delta)

        let removed = try accept(second.stored, #"{"state": {"desired": {"engine": null}}}"#, now: 102)
        assertJSON(removed.accepted, """
            {"state": {"desired": {"engine": null}}, "metadata": {"desired": {"engine": {"timestamp": 102}}},
             "version": 3, "timestamp": 102}
            """)
        assertJSON(removed.stored.encoded, """
            {"state": {"desired": {"color": {"r": 10}}, "reported": {"color": {"r": 10}, "engine": "ON"}},
             "metadata": {"desired": {"color": {"r": {"timestamp": 100}}},
               "reported": {"color": {"r": {"timestamp": 101}}, "engine": {"timestamp": 101}}},
             "version": 3}
            """)
    }

    // "Interacting with shadows", deleting a shadow: the accepted message example.
    func testDeleteAcceptedDocument() throws {
        let key = try ShadowKey(thingName: "mySimulatedThing", shadowName: "simShadow1")
        let stored = StoredShadow(desired: nil, reported: json(#"{"a": 1}"#).objectValue, desiredMetadata: nil,
                                  reportedMetadata: json(#"{"a": {"timestamp": 1}}"#).objectValue, version: 4)
        let deleted = try ShadowEngine.delete(stored: stored, key: key, now: 1591057529).get()
        assertJSON(deleted.accepted, #"{"version": 4, "timestamp": 1591057529}"#)
        XCTAssertTrue(deleted.stored.isDeleted)
        XCTAssertEqual(deleted.stored.version, 4)
    }

    // "Device Shadow service documents", delta state: flat example.
    func testDeltaStateExample() throws {
        let s = StoredShadow(desired: json(#"{"color": "RED", "state": "STOP"}"#).objectValue,
                             reported: json(#"{"color": "GREEN", "engine": "ON"}"#).objectValue,
                             desiredMetadata: json(#"{"color": {"timestamp": 12345}, "state": {"timestamp": 12345}}"#).objectValue,
                             reportedMetadata: json(#"{"color": {"timestamp": 12345}, "engine": {"timestamp": 12345}}"#).objectValue,
                             version: 17)
        let key = try ShadowKey(thingName: "t")
        assertJSON(try ShadowEngine.get(stored: s, key: key, now: 123456789).get(), """
            {"state": {"desired": {"color": "RED", "state": "STOP"}, "reported": {"color": "GREEN", "engine": "ON"},
                       "delta": {"color": "RED", "state": "STOP"}},
             "metadata": {"desired": {"color": {"timestamp": 12345}, "state": {"timestamp": 12345}},
                          "reported": {"color": {"timestamp": 12345}, "engine": {"timestamp": 12345}}},
             "version": 17, "timestamp": 123456789}
            """)
    }

    // "Device Shadow service documents", delta state: nested objects keep the path to the root.
    func testNestedDeltaExample() throws {
        let base = try accept(.deleted(version: 16), #"{"state": {"reported": {"lights": {"color": {"r": 255, "g": 0, "b": 255}}}}}"#,
                              now: 1)
        let r = try accept(base.stored, #"{"state": {"desired": {"lights": {"color": {"r": 255, "g": 255, "b": 255}}}}}"#, now: 2)
        XCTAssertEqual(r.stored.version, 18)
        assertJSON(r.delta, """
            {"state": {"lights": {"color": {"g": 255}}}, "metadata": {"lights": {"color": {"g": {"timestamp": 2}}}},
             "version": 18, "timestamp": 2}
            """)
        let get = try ShadowEngine.get(stored: r.stored, key: ShadowKey(thingName: "t"), now: 123456789).get()
        XCTAssertEqual(canonical(try JSONValue.parse(get)["state"]!["delta"]!), json(#"{"lights": {"color": {"g": 255}}}"#))
    }

    // "Device Shadow service documents", empty properties: `"desired": null` removes the section.
    func testDesiredNullRemovesSection() throws {
        let a = try accept(nil, #"{"state": {"desired": {"color": "RED"}}}"#, now: 1)
        let b = try accept(a.stored, #"{"state": {"reported": {"color": "red"}, "desired": null}}"#, now: 2)
        XCTAssertNil(b.stored.desired)
        XCTAssertNil(b.delta)
        assertJSON(b.accepted, """
            {"state": {"reported": {"color": "red"}, "desired": null},
             "metadata": {"reported": {"color": {"timestamp": 2}}, "desired": {"timestamp": 2}},
             "version": 2, "timestamp": 2}
            """)
        let c = try accept(b.stored, #"{"state": {"reported": null}}"#, now: 3)
        assertJSON(c.stored.encoded, #"{"state": {}, "metadata": {}, "version": 3}"#)
        assertJSON(try ShadowEngine.get(stored: c.stored, key: ShadowKey(thingName: "t"), now: 4).get(),
                   #"{"state": {}, "metadata": {}, "version": 3, "timestamp": 4}"#)
    }

    // "Device Shadow service documents", empty properties: a shadow with neither section is
    // valid, and an update that names no field still counts as an update.
    func testEmptyStateUpdateCreatesAnEmptyShadow() throws {
        let a = try accept(nil, #"{"state": {}, "clientToken": "e"}"#, now: 7)
        assertJSON(a.accepted, #"{"state": {}, "metadata": {}, "version": 1, "timestamp": 7, "clientToken": "e"}"#)
        assertJSON(a.documents, #"{"current": {"state": {}, "metadata": {}, "version": 1}, "timestamp": 7, "clientToken": "e"}"#)
        let b = try accept(a.stored, #"{"state": {"desired": {}}}"#, now: 8)
        XCTAssertEqual(b.stored.version, 2)
        XCTAssertNil(b.stored.desired)
        XCTAssertNil(b.delta)
    }

    // "Device Shadow service documents", arrays: an update replaces the whole array.
    func testArraysReplaceWhole() throws {
        let a = try accept(nil, #"{"state": {"desired": {"colors": ["RED", "GREEN", "BLUE"]}}}"#, now: 1)
        let b = try accept(a.stored, #"{"state": {"desired": {"colors": ["RED"]}}}"#, now: 2)
        XCTAssertEqual(b.stored.desired.map { JSONValue.object($0) }, json(#"{"colors": ["RED"]}"#))
        XCTAssertEqual(b.stored.desiredMetadata.map { JSONValue.object($0) }, json(#"{"colors": [{"timestamp": 2}]}"#))
        let err = reject(b.stored, [UInt8](#"{"state": {"desired": {"colors": [null, "RED", "GREEN"]}}}"#))
        XCTAssertEqual(err?.code, 400)
    }

    // AWS IoT Device SDK for C++ v2, shadow-sandbox sample README: the service's documents as
    // the sample printed them, classic shadow.
    func testSDKSandboxSession() throws {
        let a = try accept(nil, #"{"state":{"reported":{"Color":"green"}},"clientToken":"58de9848-e4db-e2ac-9622-d4c1197a5a14"}"#,
                           now: 1730481958)
        assertJSON(a.accepted, """
            {"clientToken":"58de9848-e4db-e2ac-9622-d4c1197a5a14","state":{"reported":{"Color":"green"}},
             "metadata":{"reported":{"Color":{"timestamp":1730481958}}},"timestamp":1730481958,"version":1}
            """)
        assertJSON(a.documents, """
            {"current":{"state":{"reported":{"Color":"green"}},"metadata":{"reported":{"Color":{"timestamp":1730481958}}},
             "version":1},"timestamp":1730481958,"clientToken":"58de9848-e4db-e2ac-9622-d4c1197a5a14"}
            """)
        let b = try accept(a.stored, #"{"state":{"desired":{"Color":"green"}},"clientToken":"7f53091e"}"#, now: 1730482304)
        XCTAssertNil(b.delta)
        XCTAssertEqual(b.stored.version, 2)
        let c = try accept(b.stored, #"{"state":{"desired":{"Color":"red"}},"clientToken":"35624091-7be2-3ab3-c193-bac8f4c4e9c8"}"#,
                           now: 1730482794)
        assertJSON(c.documents, """
            {"previous":{"state":{"desired":{"Color":"green"},"reported":{"Color":"green"}},"metadata":{"desired":{"Color":{"timestamp":1730482304}},"reported":{"Color":{"timestamp":1730481958}}},"version":2},
             "current":{"state":{"desired":{"Color":"red"},"reported":{"Color":"green"}},"metadata":{"desired":{"Color":{"timestamp":1730482794}},"reported":{"Color":{"timestamp":1730481958}}},"version":3},
             "timestamp":1730482794,"clientToken":"35624091-7be2-3ab3-c193-bac8f4c4e9c8"}
            """)
        assertJSON(c.delta, """
            {"state":{"Color":"red"},"metadata":{"Color":{"timestamp":1730482794}},"timestamp":1730482794,"version":3,
             "clientToken":"35624091-7be2-3ab3-c193-bac8f4c4e9c8"}
            """)
        let d = try accept(c.stored, #"{"state":{"reported":{"Color":"red"}},"clientToken":"5741d710"}"#, now: 1730482948)
        XCTAssertNil(d.delta)
        let e = try accept(d.stored, #"{"state":{"reported":{"Status":"Great"}}}"#, now: 1730483062)
        let f = try accept(e.stored, #"{"state":{"desired":{"Status":"Great"}}}"#, now: 1730483069)
        assertJSON(try ShadowEngine.get(stored: f.stored, key: ShadowKey(thingName: "t"),
                                        request: [UInt8](#"{"clientToken":"2b689730-8144-c20f-07dd-60bdf4e3f2b7"}"#),
                                        now: 1730483086).get(), """
            {"clientToken":"2b689730-8144-c20f-07dd-60bdf4e3f2b7","state":{"desired":{"Color":"red","Status":"Great"},
             "reported":{"Color":"red","Status":"Great"}},"metadata":{"desired":{"Color":{"timestamp":1730482794},
             "Status":{"timestamp":1730483069}},"reported":{"Color":{"timestamp":1730482948},"Status":{"timestamp":1730483062}}},
             "timestamp":1730483086,"version":6}
            """)
        // A reported change alone brings back a delta for a field the update did not name.
        let g = try accept(f.stored, #"{"state":{"reported":{"Status":"Awful"}},"clientToken":"af54adca-85c9-c4c9-52b0-7349337f57d5"}"#,
                           now: 1730483858)
        assertJSON(g.delta, """
            {"state":{"Status":"Great"},"metadata":{"Status":{"timestamp":1730483069}},"timestamp":1730483858,"version":7,
             "clientToken":"af54adca-85c9-c4c9-52b0-7349337f57d5"}
            """)
        let h = try accept(g.stored, #"{"state":{"reported":{"Status":null}}}"#, now: 1730483900)
        let i = try accept(h.stored, #"{"state":{"desired":{"Status":null}}}"#, now: 1730483901)
        XCTAssertEqual(i.stored.version, 9)
        let del = try ShadowEngine.delete(stored: i.stored, key: ShadowKey(thingName: "t"),
                                          request: [UInt8](#"{"clientToken":"495844bb-65c9-58a6-bd16-099fa3021512"}"#),
                                          now: 1730483990).get()
        assertJSON(del.accepted, #"{"clientToken":"495844bb-65c9-58a6-bd16-099fa3021512","timestamp":1730483990,"version":9}"#)
        let myThing = try ShadowKey(thingName: "myThing")
        guard case .failure(let gone) = ShadowEngine.get(stored: del.stored, key: myThing,
                                                         request: [UInt8](#"{"clientToken":"0228fa77"}"#), now: 1730484000)
        else { return XCTFail("get after delete succeeded") }
        assertJSON(gone.responseBody(now: 1730484000),
                   #"{"clientToken":"0228fa77","code":404,"message":"No shadow exists with name: 'myThing'"}"#)
    }

    // boto3 against the service (moto issue 9237): `{"state": null}` is accepted and clears the state.
    func testStateNullClearsEverything() throws {
        let a = try accept(.deleted(version: 16), #"{"state": {"desired": {"x": 1}, "reported": {"y": 2}}}"#, now: 1)
        let b = try accept(a.stored, #"{"state": null}"#, now: 1756452769)
        assertJSON(b.accepted, #"{"state":null,"metadata":{"timestamp":1756452769},"version":18,"timestamp":1756452769}"#)
        XCTAssertNil(b.stored.desired)
        XCTAssertNil(b.stored.reported)
        XCTAssertFalse(b.stored.isDeleted)
    }
}
