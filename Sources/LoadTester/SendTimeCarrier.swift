import Foundation
import RTP

/// How a packet tells its receiver when it was sent, so receivers measure what the server added.
/// The tester is both ends, so one monotonic clock serves: no clock synchronisation is involved.
public enum SendTimeCarrier: String, Sendable, Equatable, CaseIterable {
    /// 8 bytes of nanoseconds since the tester started, in a one-byte header extension (RFC 8285
    /// §4.2) on every packet, negotiated as `urn:peerlearn:rtp-hdrext:send-time`: our relay rewrites
    /// every forwarded packet's extensions into the subscriber's ids and forwards this one unchanged.
    case privateExtension = "private"
    /// Janus 1.1 rebuilds every forwarded packet's header extensions from the few it parses, so a
    /// private extension never arrives, and it rewrites playout-delay to zero. It does copy two
    /// values per packet: audio-level (RFC 6464, 7 bits) and video-orientation (3GPP TS 26.114,
    /// 4 bits). Those carry a packet index: the audio sequence number mod 128, the video frame
    /// number mod 16. The publisher logs its recent send times by index (`SendTimeLog`) and the
    /// receiver looks its packet's up, which is unambiguous while the server delays a packet less
    /// than 2.56 s (audio) or 0.53 s (video).
    case packetIndex = "index"

    static let privateExtensionID: UInt8 = 5
    static let privateExtensionURI = "urn:peerlearn:rtp-hdrext:send-time"
    static let audioLevelURI = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
    static let videoOrientationURI = "urn:3gpp:video-orientation"

    /// Header extensions a publisher's offer declares (URI → id); the ids Chromium uses.
    var offeredExtensions: [String: UInt8] {
        switch self {
        case .privateExtension: [Self.privateExtensionURI: Self.privateExtensionID]
        case .packetIndex: [Self.audioLevelURI: 1, Self.videoOrientationURI: 13]
        }
    }

    /// The extension ids one participant's packets use, from what its negotiation settled (a
    /// subscriber's ids come from the server's offer); the offered ones otherwise.
    func extensionIDs(negotiated: [String: UInt8]) -> SendTimeExtensionIDs {
        let offered = offeredExtensions
        return SendTimeExtensionIDs(
            sendTime: negotiated[Self.privateExtensionURI] ?? Self.privateExtensionID,
            audioLevel: negotiated[Self.audioLevelURI] ?? offered[Self.audioLevelURI] ?? 0,
            videoOrientation: negotiated[Self.videoOrientationURI] ?? offered[Self.videoOrientationURI] ?? 0)
    }

    /// A publisher's send-time log, when stamps are indices to resolve.
    func makeLog() -> SendTimeLog? { self == .packetIndex ? SendTimeLog() : nil }

    /// The extension a publisher adds to a packet sent at `nanoseconds` (since the tester's epoch);
    /// `index` is the audio sequence number or the video frame number.
    func stamp(video: Bool, index: Int, nanoseconds: UInt64, ids: SendTimeExtensionIDs) -> RTPHeaderExtension {
        switch self {
        case .privateExtension:
            return RTPHeaderExtension(
                id: ids.sendTime, value: (0..<8).map { UInt8(truncatingIfNeeded: nanoseconds >> (56 - 8 * $0)) })
        case .packetIndex:
            // Audio level: V bit clear, the level field carries the index. Orientation: C F R1 R0.
            return video
                ? RTPHeaderExtension(id: ids.videoOrientation, value: [UInt8(index % SendTimeLog.videoSlots)])
                : RTPHeaderExtension(id: ids.audioLevel, value: [UInt8(index % SendTimeLog.audioSlots)])
        }
    }

    /// Rewrites a built packet's send time to when it really leaves (a paced packet waits after it
    /// is built). Only the private extension carries a time; an index stays as it is.
    func restamp(_ packet: inout [UInt8], nanoseconds: UInt64, ids: SendTimeExtensionIDs) {
        guard self == .privateExtension else { return }
        packet.withUnsafeMutableBytes { raw in
            guard let header = try? RTPHeader(parsing: UnsafeRawBufferPointer(raw)),
                let range = header.extensionValueRange(id: ids.sendTime, in: UnsafeRawBufferPointer(raw)), range.count == 8
            else { return }
            for (offset, index) in range.enumerated() { raw[index] = UInt8(truncatingIfNeeded: nanoseconds >> (56 - 8 * offset)) }
        }
    }

    /// Nanoseconds from a received packet's send time to `received`, or nil when it carries none.
    func latency(
        header: RTPHeader, in packet: UnsafeRawBufferPointer, ids: SendTimeExtensionIDs, log: SendTimeLog?,
        received: Int64
    ) -> Int64? {
        switch self {
        case .privateExtension:
            guard let range = header.extensionValueRange(id: ids.sendTime, in: packet), range.count == 8 else { return nil }
            return received - Int64(bitPattern: packet[range].reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        case .packetIndex:
            guard let log else { return nil }
            let sent: Int64?
            if let range = header.extensionValueRange(id: ids.audioLevel, in: packet), range.count == 1 {
                sent = log.audioSendTime(index: Int(packet[range.lowerBound] & 0x7F))
            } else if let range = header.extensionValueRange(id: ids.videoOrientation, in: packet), range.count == 1 {
                sent = log.videoSendTime(index: Int(packet[range.lowerBound] & 0x0F))
            } else {
                sent = nil
            }
            guard let sent else { return nil }
            let latency = received - sent
            // Older than a slot's reuse: the index named a later packet; not a sample.
            return latency >= 0 ? latency : nil
        }
    }
}

/// Extension ids in one participant's packets.
struct SendTimeExtensionIDs: Sendable, Equatable {
    var sendTime: UInt8
    var audioLevel: UInt8
    var videoOrientation: UInt8
}
