/// The abs-send-time header extension value
/// (`http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time`): the sender's clock when the
/// packet left, in 24-bit 6.18 fixed-point seconds, wrapping every 64 s. Receivers use only
/// differences between packets (delay-based bandwidth estimation), so any epoch works.
public enum AbsoluteSendTime {
    /// The 24-bit value for a send time of `nanoseconds` since any epoch, rounded to the nearest
    /// 1/262144 s.
    @inlinable
    public static func value(nanoseconds: UInt64) -> UInt32 {
        // Split so the shift cannot overflow: whole seconds keep only their low 6 bits.
        let seconds = nanoseconds / 1_000_000_000
        let fraction = nanoseconds % 1_000_000_000
        let fixed = ((seconds & 0x3F) << 18) + ((fraction << 18) + 500_000_000) / 1_000_000_000
        return UInt32(truncatingIfNeeded: fixed) & 0xFF_FFFF
    }

    /// Nanoseconds within the 64 s window that `value` (low 24 bits used) stands for.
    @inlinable
    public static func nanoseconds(_ value: UInt32) -> UInt64 {
        (UInt64(value & 0xFF_FFFF) * 1_000_000_000) >> 18
    }
}
