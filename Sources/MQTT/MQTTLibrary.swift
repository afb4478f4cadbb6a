import CMosquitto

/// Calls `mosquitto_lib_init` exactly once per process (it seeds OpenSSL and the random source).
enum MQTTLibrary {
    private static let initialized: Bool = {
        mosquitto_lib_init()
        return true
    }()

    static func ensureInitialized() {
        _ = initialized
    }
}
