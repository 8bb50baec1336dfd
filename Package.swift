// swift-tools-version: 6.0
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "Leadflow",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "leadflow", targets: ["LeadflowCLI"]),
        .library(name: "LeadflowKafka", targets: ["LeadflowKafka"]),
        .library(name: "LeadflowEngine", targets: ["LeadflowEngine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swhitty/FlyingFox", from: "0.27.1"),
    ],
    targets: [
        // librdkafka from the system (pkg-config `rdkafka`, Debian `librdkafka-dev`).
        .systemLibrary(
            name: "CRdKafka",
            pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"])]
        ),
        // Small C helpers for calls Swift cannot make directly (variadic produce) and the
        // plain-C reference consumer that benchmarks compare against.
        .target(name: "CKafkaShims", dependencies: ["CRdKafka"]),
        // The Kafka layer: consumer, producer, admin, embedded broker. Knows nothing about leads.
        .target(
            name: "LeadflowKafka",
            dependencies: [
                "CRdKafka", "CKafkaShims",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // A cache prefetch hint for the engine's batch path and the daemon's merge (a CPU instruction Swift lacks).
        .target(name: "CPrefetch"),
        // The CRC-32C instruction for snapshot checksums (with a run-time check for it).
        .target(name: "CChecksum"),
        // The engine: decoding, identity, scoring, surges and routing. Pure: no Kafka, files or clock.
        .target(name: "LeadflowEngine", dependencies: ["CPrefetch"], swiftSettings: strictSettings),
        // leadflow.yaml: parsing and validation with every problem reported by path.
        .target(
            name: "LeadflowConfig",
            dependencies: ["LeadflowEngine", .product(name: "Yams", package: "Yams")],
            swiftSettings: strictSettings
        ),
        // The admin HTTP endpoint (health, readiness, metrics, account look-ups): knows HTTP,
        // asks its source for answers.
        .target(
            name: "LeadflowAdmin",
            dependencies: [.product(name: "FlyingFox", package: "FlyingFox"), .product(name: "FlyingSocks", package: "FlyingFox")],
            swiftSettings: strictSettings
        ),
        // The daemon: wires the Kafka layer and the engine; per-partition state and snapshots.
        .target(
            name: "LeadflowDaemon",
            dependencies: [
                "LeadflowKafka", "LeadflowEngine", "LeadflowConfig", "LeadflowAdmin", "CPrefetch", "CChecksum",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strictSettings
        ),
        // The `leadflow` command line.
        .executableTarget(
            name: "LeadflowCLI",
            dependencies: [
                "LeadflowKafka", "LeadflowEngine", "LeadflowConfig", "LeadflowDaemon", "LeadflowAdmin",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "LeadflowKafkaTests",
            dependencies: ["LeadflowKafka", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "LeadflowEngineTests",
            dependencies: [
                "LeadflowEngine", "LeadflowConfig",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            exclude: ["Scenarios"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "LeadflowDaemonTests",
            dependencies: [
                "LeadflowDaemon", "LeadflowKafka", "LeadflowEngine", "LeadflowConfig", "LeadflowAdmin",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strictSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
