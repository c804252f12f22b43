/// Where publishers stamp each packet's send time, so receivers measure what the server added.
/// The tester is both ends, so one monotonic clock serves: no clock synchronisation involved.
public enum SendTimeCarrier: String, Sendable, Equatable, CaseIterable {
    /// 8 bytes of nanoseconds since the tester started, in a one-byte header extension (RFC 8285
    /// §4.2) with id 5 on every packet. Our relay forwards header extensions untouched.
    case privateExtension = "private"
    /// Janus 1.1 rebuilds each forwarded packet's header extensions from the few it understands,
    /// so a private extension never arrives. Of those, only playout-delay (3 bytes: two 12-bit
    /// fields) is copied from publisher to subscriber and wide enough for a clock: it carries
    /// microseconds modulo 2^24 (wraps every 16.7 s, far above any relay delay). Janus negotiates
    /// it for video only, so only video packets carry a send time.
    case playoutDelay = "playout-delay"

    static let playoutDelayURI = "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay"
    static let privateExtensionID: UInt8 = 5
    /// What publishers offer for playout-delay (echoed in answers; subscribers read the server's id).
    static let playoutDelayOfferedID: UInt8 = 6
    static let microsecondWrap: Int64 = 1 << 24

    /// Header extensions a publisher's offer declares for this carrier (URI → id).
    var offeredExtensions: [String: UInt8] {
        switch self {
        case .privateExtension: [:]
        case .playoutDelay: [Self.playoutDelayURI: Self.playoutDelayOfferedID]
        }
    }

    /// Whether audio packets carry a stamp too.
    var stampsAudio: Bool { self == .privateExtension }

    /// The extension id a participant's packets use, given what its negotiation settled.
    func extensionID(negotiated: [String: UInt8]) -> UInt8 {
        switch self {
        case .privateExtension: Self.privateExtensionID
        case .playoutDelay: negotiated[Self.playoutDelayURI] ?? Self.playoutDelayOfferedID
        }
    }

    /// The extension value for `nanoseconds` since the tester's epoch.
    func encode(nanoseconds: UInt64) -> [UInt8] {
        switch self {
        case .privateExtension:
            return (0..<8).map { UInt8(truncatingIfNeeded: nanoseconds >> (56 - 8 * $0)) }
        case .playoutDelay:
            let micros = nanoseconds / 1_000
            return (0..<3).map { UInt8(truncatingIfNeeded: micros >> (16 - 8 * $0)) }
        }
    }

    /// Nanoseconds between the stamp in `value` and `received` (nanoseconds since the same epoch),
    /// or nil when `value` is not this carrier's size.
    func latency(_ value: UnsafeRawBufferPointer, received: Int64) -> Int64? {
        switch self {
        case .privateExtension:
            guard value.count == 8 else { return nil }
            return received - Int64(bitPattern: value.reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        case .playoutDelay:
            guard value.count == 3 else { return nil }
            let sent = value.reduce(Int64(0)) { $0 << 8 | Int64($1) }
            let elapsed = (received / 1_000 - sent) & (Self.microsecondWrap - 1)
            return elapsed * 1_000
        }
    }
}
