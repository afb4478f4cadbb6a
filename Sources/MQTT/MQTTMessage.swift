/// A message received from the broker; `payload` is a copy the handler may keep.
public struct MQTTMessage: Sendable, Hashable {
    public var topic: String
    public var payload: [UInt8]
    public var qos: MQTTQoS
    public var retain: Bool
    /// The packet id the broker used (0 for QoS 0); ids are reused once acknowledged.
    public var mid: Int32

    public init(topic: String, payload: [UInt8], qos: MQTTQoS = .atMostOnce, retain: Bool = false, mid: Int32 = 0) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
        self.mid = mid
    }
}
