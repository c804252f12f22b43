/// The RFC 6464 client-to-mixer audio level (`urn:ietf:params:rtp-hdrext:ssrc-audio-level`):
/// one byte, a voice-activity flag and the level of the packet's audio in -dBov. A relay reads it
/// to pick active speakers without decoding audio.
public struct AudioLevel: Sendable, Equatable, Hashable {
    /// The V bit: the sender's voice activity detector found speech (RFC 6464 §3; only meaningful
    /// when `a=extmap` carried `vad=on`, the default).
    public let voiceActivity: Bool
    /// 0...127, in -dBov: 0 is the loudest (0 dBov), 127 is silence or quieter (RFC 6464 §3).
    public let level: UInt8

    /// `level` is clamped to 127.
    public init(voiceActivity: Bool, level: UInt8) {
        self.voiceActivity = voiceActivity
        self.level = min(level, 127)
    }

    /// Decodes the extension's single byte.
    public init(byte: UInt8) {
        voiceActivity = byte & 0x80 != 0
        level = byte & 0x7F
    }

    /// Decodes an element value; nil unless it is exactly one byte (RFC 6464 §3: one-byte form
    /// L=0, two-byte form length 1).
    public init?(value: UnsafeRawBufferPointer) {
        guard value.count == 1 else { return nil }
        self.init(byte: value[0])
    }

    /// The level in `packet` (parsed as `header`) under extension ID `id`; nil if the packet has
    /// no such element or its value is not one byte.
    public init?(id: UInt8, header: RTPHeader, packet: UnsafeRawBufferPointer) {
        guard let range = header.extensionValueRange(id: id, in: packet) else { return nil }
        self.init(value: UnsafeRawBufferPointer(rebasing: packet[range]))
    }

    /// The byte to write as the element's value.
    public var byte: UInt8 { (voiceActivity ? 0x80 : 0) | level }

    /// The level in dBov, -127...0.
    public var dBov: Int { -Int(level) }
}
