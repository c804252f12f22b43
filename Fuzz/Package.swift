// swift-tools-version:6.1
import PackageDescription

/// libFuzzer targets for the relay's parsers and engine. A package of its own so the main
/// package's `swift build`/`swift test` never see the sanitizer flags; `scripts/fuzz` builds it with
/// `-sanitize=fuzzer,address`, which instruments every module it compiles (only the protocol modules,
/// Relay and PeerClient: nothing here pulls in SwiftNIO or Hummingbird).
let package = Package(
    name: "peerlearn-fuzz",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "peerlearn-relay", path: "..")],
    targets: [
        .target(name: "FuzzSupport"),
        .executableTarget(name: "FuzzSTUN", dependencies: ["FuzzSupport", .relay("STUN"), .relay("ICE")]),
        .executableTarget(name: "FuzzSDP", dependencies: ["FuzzSupport", .relay("SDP"), .relay("Relay")]),
        .executableTarget(name: "FuzzRTP", dependencies: ["FuzzSupport", .relay("RTP")]),
        .executableTarget(name: "FuzzRTCP", dependencies: ["FuzzSupport", .relay("RTCP")]),
        .executableTarget(name: "FuzzVP8", dependencies: ["FuzzSupport", .relay("VP8")]),
        .executableTarget(name: "FuzzRoomMessages", dependencies: ["FuzzSupport", .relay("RoomMessages")]),
        .executableTarget(name: "FuzzDTLS", dependencies: ["FuzzSupport", .relay("DTLS")]),
        .executableTarget(name: "FuzzSRTP", dependencies: ["FuzzSupport", .relay("SRTP")]),
        .executableTarget(
            name: "FuzzRelay",
            dependencies: [
                "FuzzSupport", .relay("Relay"), .relay("PeerClient"), .relay("DTLS"), .relay("RTP"), .relay("RTCP"),
                .relay("STUN"),
            ]),
    ],
    swiftLanguageModes: [.v6]
)

extension Target.Dependency {
    static func relay(_ product: String) -> Target.Dependency { .product(name: product, package: "peerlearn-relay") }
}
