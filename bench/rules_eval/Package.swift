// swift-tools-version: 6.1
// Benchmark for the rules engine (issue 5). Builds the Rules and IoTCore sources of the main
// package (symlinked) on their own, so it needs none of the gateway's server dependencies.
// Run: swift run -c release --package-path bench/rules_eval
import PackageDescription

let package = Package(
    name: "rules_eval",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        .target(name: "IoTCore", dependencies: [.product(name: "OrderedCollections", package: "swift-collections")]),
        .target(
            name: "Rules",
            dependencies: ["IoTCore", .product(name: "Yams", package: "Yams"), .product(name: "Crypto", package: "swift-crypto")]
        ),
        .executableTarget(name: "RulesEvalBench", dependencies: ["Rules", "IoTCore"]),
    ],
    swiftLanguageModes: [.v6]
)
