import Devices
import MQTT

/// The fixed part of one simulated device: who it is, where it publishes, how it connects.
struct DeviceSetup: Sendable {
    let thing: String
    let topic: String
    let qos: MQTTQoS
    let configuration: MQTTClient.Configuration
    /// Messages per second per device when the phase gives no rate.
    let baseRate: Double
    let jitter: Double
    let shadow: ShadowBehaviour?
    let skewMillis: Int64
    /// Silent faults (by index in the scenario) that hit this device.
    let silentFaults: [Int]
    /// Disconnect faults that hit this device.
    let disconnectFaults: [Int]
}
