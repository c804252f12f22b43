/// Channel count of an interleaved PCM stream; WebRTC Opus carries one or two channels (RFC 7587 §7).
public enum AudioChannels: Int, Sendable, Equatable, CaseIterable {
    case mono = 1
    case stereo = 2
}
