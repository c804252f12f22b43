import Benchmark
import RTCP
import RTP
import SRTP
import STUN
import VP8

/// Per-packet costs of the relay's hot-path building blocks. Results are per packet (scaled by 1,000
/// inner iterations); `Malloc (total)` must stay 0 for parsing, and for in-place SRTP.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .throughput],
        scalingFactor: .kilo,
        maxDuration: .seconds(2),
        maxIterations: 1_000
    )

    let video = Packets.rtp(payloadSize: 1_100, withExtensions: true)
    Benchmark("RTP parse (1,100-byte VP8 packet, 2 extensions)") { benchmark in
        video.withUnsafeBytes { bytes in
            for _ in benchmark.scaledIterations {
                let header = try? RTPHeader(parsing: bytes)
                blackHole(header?.extensionValueRange(id: 3, in: bytes))
            }
        }
    }

    Benchmark("VP8 payload descriptor parse") { benchmark in
        video.withUnsafeBytes { bytes in
            let payload = UnsafeRawBufferPointer(rebasing: bytes[(try! RTPHeader(parsing: bytes)).payloadRange])
            for _ in benchmark.scaledIterations {
                blackHole(try? VP8RTPPayload(parsing: payload).isKeyframe)
            }
        }
    }

    // What the ICE agent does per connectivity or consent check (a browser sends one every few seconds per
    // leg, a hostile peer as many as it likes): verify FINGERPRINT and MESSAGE-INTEGRITY, and sign an answer.
    let stunKey = STUNIntegrityKey(shortTermPassword: "asd88fgpdd777uzjYhagZgkC")
    var check = STUNMessageBuilder(type: .bindingRequest, transactionID: STUNTransactionID(high: 1, low: 2))
    check.append(.username("relayufrag:browserufrag"))
    check.append(.priority(1_853_817_087))
    check.append(.iceControlling(tieBreaker: 0x1234_5678_9ABC_DEF0))
    check.append(.useCandidate)
    let checkBytes = check.finish(integrity: stunKey)
    Benchmark("STUN check verify (FINGERPRINT + MESSAGE-INTEGRITY)") { benchmark in
        checkBytes.withUnsafeBytes { bytes in
            for _ in benchmark.scaledIterations {
                guard let message = try? STUNMessage(parsing: bytes) else { continue }
                blackHole(message.verifyFingerprint(in: bytes) && message.verifyIntegrity(key: stunKey, in: bytes))
            }
        }
    }
    Benchmark("STUN answer build (XOR-MAPPED-ADDRESS + MESSAGE-INTEGRITY + FINGERPRINT)") { benchmark in
        for _ in benchmark.scaledIterations {
            var answer = STUNMessageBuilder(type: .bindingSuccess, transactionID: STUNTransactionID(high: 1, low: 2))
            answer.append(.xorMappedAddress(TransportAddress(ipv4: 192, 0, 2, 1, port: 50_000)))
            blackHole(answer.finish(integrity: stunKey))
        }
    }

    let compound = Packets.rtcpCompound()
    Benchmark("RTCP parse (SR + SDES + NACK + REMB compound)") { benchmark in
        compound.withUnsafeBytes { bytes in
            for _ in benchmark.scaledIterations {
                guard let packets = try? RTCPCompoundPacket(validating: bytes) else { continue }
                for packet in packets {
                    switch packet.view {
                    case .senderReport(let report): blackHole(report.senderInfo.packetCount)
                    case .genericNack(let nack): for pair in nack.pairs { blackHole(pair.packetID) }
                    case .receiverEstimatedMaxBitrate(let remb): blackHole(remb.bitrate)
                    default: break
                    }
                }
            }
        }
    }

    // GCM on both backends (the EVP one is the relay's default), AES-CM on libsrtp, the only one that has it.
    let variants: [(SRTPProfile, SRTPContext.Backend)] = [
        (.aeadAes128Gcm, .openSSL), (.aeadAes128Gcm, .libsrtp), (.aes128CmHmacSha1_80, .libsrtp),
    ]
    for (profile, backend) in variants {
        for size in [1_200, 100] {
            let plain = Packets.rtp(payloadSize: size - 12 - 8, withExtensions: true)
            Benchmark("SRTP protect \(size) B \(profile) \(backend)") { benchmark in
                let context = try! SRTPContext(
                    profile: profile, direction: .outbound, masterKey: Packets.key, masterSalt: Packets.salt(profile),
                    backend: backend)
                let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 2_048, alignment: 16)
                defer { buffer.deallocate() }
                var sequence: UInt16 = 0
                for _ in benchmark.scaledIterations {
                    // A fresh sequence number each time, as in a real stream (libsrtp rejects repeats).
                    plain.withUnsafeBytes { buffer.copyMemory(from: $0) }
                    RTPPacketRewriter(buffer)!.sequenceNumber = sequence
                    sequence &+= 1
                    blackHole(try! context.protectRTP(buffer, length: plain.count))
                }
            }

            Benchmark("SRTP unprotect \(size) B \(profile) \(backend)") { benchmark in
                // Protected packets with consecutive sequence numbers, made before measuring.
                let sender = try! SRTPContext(
                    profile: profile, direction: .outbound, masterKey: Packets.key, masterSalt: Packets.salt(profile))
                let count = benchmark.scaledIterations.count
                let protected: [[UInt8]] = (0..<count).map { index in
                    var packet = plain
                    packet.withUnsafeMutableBytes { RTPPacketRewriter($0)!.sequenceNumber = UInt16(index) }
                    try! sender.protectRTP(&packet)
                    return packet
                }
                let receiver = try! SRTPContext(
                    profile: profile, direction: .inbound, masterKey: Packets.key, masterSalt: Packets.salt(profile),
                    backend: backend)
                let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 2_048, alignment: 16)
                defer { buffer.deallocate() }
                benchmark.startMeasurement()
                for index in benchmark.scaledIterations {
                    protected[index].withUnsafeBytes { buffer.copyMemory(from: $0) }
                    blackHole(try! receiver.unprotectRTP(buffer, length: protected[index].count))
                }
                benchmark.stopMeasurement()
            }
        }
    }
}

/// Realistic packets: a Chromium-style VP8 packet and an RTCP compound a subscriber sends.
enum Packets {
    static let key: [UInt8] = Array(0..<16)

    static func salt(_ profile: SRTPProfile) -> [UInt8] {
        Array(100..<(100 + UInt8(profile.masterSaltLength)))
    }

    static func rtp(payloadSize: Int, withExtensions: Bool) -> [UInt8] {
        let builder = RTPHeaderBuilder(
            marker: false, payloadType: 96, sequenceNumber: 4_711, timestamp: 123_456, ssrc: 0x1234_5678,
            extensions: withExtensions
                ? [RTPHeaderExtension(id: 2, value: [1, 2, 3]), RTPHeaderExtension(id: 3, value: [0, 42])] : [])
        var payload: [UInt8] = [0x90, 0x80, 0x81, 0x23, 0x11, 0x02, 0x00]
        payload += (0..<max(0, payloadSize - payload.count)).map { UInt8(truncatingIfNeeded: $0) }
        return try! builder.packet(payload: payload)
    }

    static func rtcpCompound() -> [UInt8] {
        try! SenderReport.build(
            ssrc: 1, senderInfo: SenderInfo(ntpTimestamp: 0xE000_0000_8000_0000, rtpTimestamp: 90_000, packetCount: 500,
                octetCount: 500_000))
            + SourceDescription.build(ssrc: 1, cname: "k3Jw9s0d/FXqZ2mR")
            + GenericNack.build(senderSSRC: 1, mediaSSRC: 2, lostSequenceNumbers: [100, 102, 117, 300])
            + ReceiverEstimatedMaxBitrate.build(senderSSRC: 1, bitrate: 1_500_000, ssrcs: [2, 3])
    }
}
