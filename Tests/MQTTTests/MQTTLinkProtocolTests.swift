import XCTest

@testable import MQTT

/// MQTT 5 details of `MQTTLink` that a real mosquitto does not exercise: CONNACK properties and
/// the broker's Receive Maximum (mosquitto 2.0.11 acknowledges QoS 1 at once, so it never holds
/// a client to it).
final class MQTTLinkProtocolTests: XCTestCase {
    private func receiveMaximum(_ body: [UInt8]) -> Int? {
        body.withUnsafeBytes { MQTTFrame(typeCode: 2, flags: 0, body: $0).connackReceiveMaximum }
    }

    func testConnackReceiveMaximumIsFoundAmongOtherProperties() {
        XCTAssertEqual(receiveMaximum([0, 0, 0]), 65_535, "absent: no limit beyond the protocol's")
        XCTAssertEqual(receiveMaximum([0, 0, 3, 0x21, 0x00, 0x05]), 5)
        let others: [UInt8] = [
            0x11, 0, 0, 0, 60,  // session expiry interval
            0x12, 0, 2, 0x61, 0x62,  // assigned client identifier "ab"
            0x26, 0, 1, 0x6B, 0, 2, 0x76, 0x76,  // user property k = vv
            0x0B, 0x81, 0x01,  // subscription identifier 129 (variable byte integer)
            0x21, 0x01, 0x00,  // receive maximum 256
            0x24, 1,  // maximum QoS 1
        ]
        XCTAssertEqual(receiveMaximum([1, 0, UInt8(others.count)] + others), 256)
        XCTAssertNil(receiveMaximum([0, 0, 3, 0x21, 0x00]), "the block is longer than the packet")
        XCTAssertNil(receiveMaximum([0, 0, 2, 0x21, 0x00]), "the property is cut off inside the block")
        XCTAssertNil(receiveMaximum([0, 0, 2, 0x7F, 0x00]), "an unknown property")
    }

    func testPublishesInFlightStayWithinTheBrokersReceiveMaximum() throws {
        var state = MQTTLinkState(counters: MQTTLinkCounters(), v5: true)
        state.phase = .connecting(initial: true)
        XCTAssertNotNil(state.connectionAccepted(inflightLimit: 1000, receiveMaximum: 5))
        for index in 0..<20 {
            _ = state.publish(topic: "t", payload: [UInt8(index)], qos: .atLeastOnce, retain: false, inflightLimit: 1000)
        }
        XCTAssertEqual(state.inflight.count, 5)
        let first = state.inflight.keys.sorted().prefix(2)
        _ = state.acknowledge(Array(first), inflightLimit: 1000)
        XCTAssertEqual(state.inflight.count, 5, "acknowledged ones make room for queued ones, no more")
        XCTAssertEqual(Set(state.inflight.values.map { Int($0.payload[0]) }), [2, 3, 4, 5, 6])

        // Reconnected to a broker that takes only 3: the newest 2 of the 5 wait again, first in line.
        state.phase = .connecting(initial: false)
        XCTAssertNotNil(state.connectionAccepted(inflightLimit: 1000, receiveMaximum: 3))
        XCTAssertEqual(Set(state.inflight.values.map { Int($0.payload[0]) }), [2, 3, 4])
        XCTAssertEqual(state.queued.first.map { Int($0.payload[0]) }, 5)
        XCTAssertEqual(state.queued.first?.sent, true, "a resend carries DUP")
    }
}
