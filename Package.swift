// swift-tools-version:6.1
import PackageDescription

/// Protocol modules are sans-IO: bytes and time in, bytes and events out.
/// C libraries sit behind `C*` system-library targets; only the module that wraps one imports it.
let package = Package(
    name: "peerlearn-relay",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "STUN", targets: ["STUN"]),
        .library(name: "ICE", targets: ["ICE"]),
        .library(name: "SDP", targets: ["SDP"]),
        .library(name: "RTP", targets: ["RTP"]),
        .library(name: "RTCP", targets: ["RTCP"]),
        .library(name: "VP8", targets: ["VP8"]),
        .library(name: "Mux", targets: ["Mux"]),
        .library(name: "DTLS", targets: ["DTLS"]),
        .library(name: "SRTP", targets: ["SRTP"]),
        .library(name: "MediaCodecs", targets: ["MediaCodecs"]),
        .library(name: "Congestion", targets: ["Congestion"]),
        .library(name: "Relay", targets: ["Relay"]),
        .library(name: "PeerClient", targets: ["PeerClient"]),
        .library(name: "Cascade", targets: ["Cascade"]),
        .library(name: "RelayServer", targets: ["RelayServer"]),
        .library(name: "RoomToken", targets: ["RoomToken"]),
        .library(name: "RoomMessages", targets: ["RoomMessages"]),
        .library(name: "ControlPlane", targets: ["ControlPlane"]),
        .executable(name: "peerlearn", targets: ["PeerLearn"]),
        .executable(name: "peerlearn-load", targets: ["PeerLearnLoad"]),
    ],
    dependencies: [
        // Relay IO.
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        // Control plane: HTTP (Hummingbird 2), persistence (FluentKit on SQLite or PostgreSQL), tokens (JWTKit).
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: ["FullFoundation"]),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/vapor/fluent-kit.git", from: "1.57.0"),
        .package(url: "https://github.com/vapor/fluent-sqlite-driver.git", from: "4.9.0"),
        .package(url: "https://github.com/vapor/fluent-postgres-driver.git", from: "2.14.0"),
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.2"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.7.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        // OTLP over HTTP only: the gRPC exporter would add grpc-swift to every cold build.
        .package(url: "https://github.com/swift-otel/swift-otel.git", from: "1.6.0", traits: ["OTLPHTTP"]),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        // Benchmarks/ (ordo-one's package-benchmark; the interposer counts mallocs per packet).
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // C libraries (Debian: libsrtp2-dev, libssl-dev, libopus-dev, libvpx-dev).
        .systemLibrary(name: "CSRTP", pkgConfig: "libsrtp2", providers: [.apt(["libsrtp2-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "COpus", pkgConfig: "opus", providers: [.apt(["libopus-dev"])]),
        .systemLibrary(name: "CVPX", pkgConfig: "vpx", providers: [.apt(["libvpx-dev"])]),
        // sendmmsg(2), which Swift's Glibc module does not expose.
        .target(name: "CUDPBatch"),
        // epoll(7) and eventfd(2) for the relay workers' own event loops.
        .target(name: "CEpoll"),

        // Sans-IO protocol core.
        .systemLibrary(name: "CZlib"),
        .target(name: "STUN", dependencies: ["CZlib", .product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "ICE", dependencies: ["STUN"]),
        .target(name: "SDP"),
        .target(name: "RTP"),
        .target(name: "RTCP"),
        .target(name: "VP8"),
        .target(name: "Mux"),
        .target(name: "DTLS", dependencies: ["COpenSSL"]),
        .target(name: "SRTP", dependencies: ["CSRTP", "COpenSSL"]),
        .target(name: "MediaCodecs", dependencies: ["COpus", "CVPX"]),
        // Congestion control (GCC): send-side bandwidth estimation from transport-cc feedback, sans-IO.
        .target(name: "Congestion", dependencies: ["RTCP"]),

        // The SFU engine: sans-IO, one instance per event loop.
        .target(
            name: "Relay", dependencies: ["STUN", "ICE", "SDP", "RTP", "RTCP", "VP8", "Mux", "DTLS", "SRTP", "Congestion"]),
        // Cascade pipes: a room's tracks pulled over WHEP and published again on another worker or node.
        .target(name: "Cascade", dependencies: ["PeerClient", "RTP", "RTCP", "STUN"]),
        // The relay's UDP edge: SwiftNIO sockets, one engine per event loop.
        .target(
            name: "RelayServer",
            dependencies: [
                "Relay", "Cascade", "DTLS", "STUN", "CUDPBatch", "CEpoll",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ]
        ),
        // The room WebSocket's client messages, decoded with Foundation alone so Fuzz/ can fuzz them.
        .target(name: "RoomMessages"),
        // Metrics: swift-metrics into one Prometheus registry, process metrics at scrape time. Tracing:
        // swift-distributed-tracing, exported by swift-otel when an OTLP endpoint is configured; request ids
        // and trace ids in every log line.
        .target(
            name: "Telemetry",
            dependencies: [
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "OTel", package: "swift-otel"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // WHIP/WHEP signaling over Hummingbird, authorized by room tokens.
        .target(
            name: "Signaling",
            dependencies: [
                "Relay", "RelayServer", "RoomToken", "RoomMessages", "Telemetry",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
        // A browser-like WebRTC endpoint for tests and the load tester.
        .target(name: "PeerClient", dependencies: ["STUN", "ICE", "SDP", "RTP", "Mux", "DTLS", "SRTP"]),

        // Control plane. RoomToken is tiny on purpose: the relay verifies room tokens with it and no database.
        .target(name: "RoomToken", dependencies: [.product(name: "JWTKit", package: "jwt-kit")]),
        // Group commit on a second SQLite connection, through the SQLite that SQLiteNIO compiles in.
        .target(name: "SQLiteGroupCommit", dependencies: [.product(name: "SQLiteNIO", package: "sqlite-nio")]),
        .target(
            name: "ControlPlane",
            dependencies: [
                "RoomToken", "Telemetry",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "FluentKit", package: "fluent-kit"),
                .product(name: "FluentSQL", package: "fluent-kit"),
                .product(name: "FluentSQLiteDriver", package: "fluent-sqlite-driver"),
                .product(name: "FluentPostgresDriver", package: "fluent-postgres-driver"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                "SQLiteGroupCommit",
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Resources/openapi.yaml")]
        ),
        .executableTarget(
            name: "PeerLearn",
            dependencies: [
                "ControlPlane", "Relay", "RelayServer", "Signaling", "RoomToken", "STUN", "Telemetry",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "FluentKit", package: "fluent-kit"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // The load tester: simulated browsers with real VP8/Opus, measuring the relay.
        .target(
            name: "LoadTester",
            dependencies: [
                "PeerClient", "MediaCodecs", "RTP", "RTCP", "VP8", "STUN", "Congestion", "CEpoll", "CUDPBatch",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .executableTarget(
            name: "PeerLearnLoad",
            dependencies: ["LoadTester", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),

        .executableTarget(
            name: "ProtocolBenchmarks",
            dependencies: [
                "RTP", "RTCP", "SRTP", "STUN", "VP8",
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/ProtocolBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "RelayBenchmarks",
            dependencies: [
                "Relay", "RelayServer", "PeerClient", "RTP", "STUN",
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/RelayBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),

        .testTarget(name: "STUNTests", dependencies: ["STUN", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "ICETests", dependencies: ["ICE", "STUN"]),
        .testTarget(name: "SDPTests", dependencies: ["SDP"], resources: [.copy("Fixtures")]),
        .testTarget(name: "RTPTests", dependencies: ["RTP"]),
        .testTarget(name: "RTCPTests", dependencies: ["RTCP"]),
        .testTarget(name: "CongestionTests", dependencies: ["Congestion", "RTCP"]),
        .testTarget(name: "VP8Tests", dependencies: ["VP8"]),
        .testTarget(name: "MuxTests", dependencies: ["Mux"]),
        .testTarget(name: "DTLSTests", dependencies: ["DTLS", "SRTP"]),
        .testTarget(name: "SRTPTests", dependencies: ["SRTP"]),
        .testTarget(name: "MediaCodecsTests", dependencies: ["MediaCodecs"]),
        .testTarget(name: "PeerClientTests", dependencies: ["PeerClient", "SDP", "DTLS", "ICE", "STUN", "SRTP", "RTP"]),
        .testTarget(
            name: "RelayTests",
            dependencies: ["Relay", "PeerClient", "STUN", "ICE", "SDP", "RTP", "RTCP", "VP8", "DTLS", "SRTP"]),
        .testTarget(name: "RelayServerTests", dependencies: [
            "RelayServer", "Relay", "PeerClient", "RTP", "STUN",
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        .testTarget(name: "CascadeTests", dependencies: ["Cascade", "Relay", "PeerClient", "RTP", "RTCP", "STUN"]),
        .testTarget(
            name: "SignalingTests",
            dependencies: [
                "Signaling", "RelayServer", "RoomToken",
                "ControlPlane", "Telemetry", "Relay",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "HummingbirdWSTesting", package: "hummingbird-websocket"),
            ]),
        .testTarget(name: "RoomMessagesTests", dependencies: ["RoomMessages"]),
        .testTarget(name: "SQLiteGroupCommitTests", dependencies: ["SQLiteGroupCommit"]),
        .testTarget(name: "LoadTesterTests", dependencies: ["LoadTester"]),
        .testTarget(
            name: "ControlPlaneTests",
            dependencies: [
                "ControlPlane",
                "RoomToken",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "FluentKit", package: "fluent-kit"),
                .product(name: "FluentSQL", package: "fluent-kit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
