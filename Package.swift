// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "iotgw",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "iotgw", targets: ["iotgw"]),
        .executable(name: "iotsim", targets: ["iotsim"]),
        .library(name: "GatewayTesting", targets: ["GatewayTesting"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
    ],
    targets: [
        .systemLibrary(
            name: "CMosquitto",
            pkgConfig: "libmosquitto",
            providers: [.apt(["libmosquitto-dev"])]
        ),
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),
        .target(
            name: "IoTCore",
            dependencies: [.product(name: "OrderedCollections", package: "swift-collections")]
        ),
        .target(
            name: "MQTT",
            dependencies: ["CMosquitto", "COpenSSL", "IoTCore", .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "Devices",
            dependencies: [
                "IoTCore",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "Broker",
            dependencies: [
                "IoTCore", "Devices",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        .target(name: "Shadows", dependencies: ["IoTCore"]),
        .target(name: "SigV4", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        .target(
            name: "Rules",
            dependencies: ["IoTCore", .product(name: "Yams", package: "Yams"), .product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(
            name: "Storage",
            dependencies: [
                "IoTCore", "Devices",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "Gateway",
            dependencies: [
                "IoTCore", "MQTT", "Broker", "Devices", "Shadows", "Storage", "Rules",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "HTTPAPI",
            dependencies: [
                "IoTCore", "Gateway", "Storage", "Shadows", "Rules", "SigV4",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            resources: [.copy("openapi.json")]
        ),
        .target(
            name: "Simulator",
            dependencies: ["IoTCore", "MQTT", "Devices", .product(name: "Logging", package: "swift-log"), .product(name: "Histogram", package: "hdrhistogram-swift")]
        ),
        .target(
            name: "GatewayTesting",
            dependencies: ["IoTCore", "MQTT", "Broker", "Gateway", "HTTPAPI", "Storage"]
        ),
        .executableTarget(
            name: "iotgw",
            dependencies: [
                "Gateway", "HTTPAPI", "Devices", "Storage", "Rules",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "iotsim",
            dependencies: ["Simulator", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(name: "mqtt-bench", dependencies: ["MQTT", "Broker"], path: "bench/mqtt-bench"),
        .testTarget(name: "IoTCoreTests", dependencies: ["IoTCore"]),
        .testTarget(name: "MQTTTests", dependencies: ["MQTT", "Broker"]),
        .testTarget(name: "BrokerTests", dependencies: ["Broker", "Devices"]),
        .testTarget(name: "DevicesTests", dependencies: ["Devices"]),
        .testTarget(name: "SimulatorTests", dependencies: ["Simulator", "Devices", "MQTT", "Broker"]),
        .testTarget(name: "ShadowsTests", dependencies: ["Shadows"]),
        .testTarget(name: "SigV4Tests", dependencies: ["SigV4"], exclude: ["make_vectors.py"]),
        .testTarget(name: "RulesTests", dependencies: ["Rules"]),
        .testTarget(name: "StorageTests", dependencies: ["Storage", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(
            name: "GatewayTests",
            dependencies: ["Gateway", "HTTPAPI", "GatewayTesting", "MQTT", "Storage", "Rules", "Simulator"],
            exclude: ["Python"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
