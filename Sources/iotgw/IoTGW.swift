import ArgumentParser

@main
struct IoTGW: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "iotgw",
        abstract: "IoT Gateway: MQTT broker, device shadows, rules engine and REST API on one machine.",
        discussion: """
            Run `iotgw serve` from the repository root to start the gateway on its embedded defaults:
            mosquitto on 127.0.0.1:1883, the HTTP API on 127.0.0.1:8080, data in ./data, rules from ./rules
            and devices from ./devices. The first start writes the admin API key to data/admin.key.
            """,
        subcommands: [Serve.self, Keys.self, Things.self, Rules.self],
        defaultSubcommand: nil
    )
}
