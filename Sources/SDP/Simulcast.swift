/// `a=simulcast:send <streams> [recv <streams>]` (RFC 8853 §5.1).
///
/// Streams are separated by `;`, alternative RIDs for one stream by `,`, and `~` marks a paused RID.
/// An SFU receiving simulcast answers with the offered `send` list as its `recv` list.
public struct Simulcast: SDPAttributeValue, Hashable {
    public static let attributeName = "simulcast"

    /// One RID reference inside a stream's alternatives.
    public struct RIDReference: Equatable, Hashable, Sendable {
        public var id: String
        /// Written with a `~` prefix: the stream is offered but starts paused.
        public var isPaused: Bool

        public init(id: String, isPaused: Bool = false) {
            self.id = id
            self.isPaused = isPaused
        }
    }

    /// One simulcast stream: the RIDs it may use, in preference order.
    public typealias Stream = [RIDReference]

    public var send: [Stream]
    public var recv: [Stream]

    public init(send: [Stream] = [], recv: [Stream] = []) {
        self.send = send
        self.recv = recv
    }

    /// One stream per RID, none paused: what browsers offer for `sendEncodings`.
    public init(sending rids: [String]) {
        self.init(send: rids.map { [RIDReference(id: $0)] })
    }

    public init?(attributeValue: Substring) {
        let fields = attributeValue.sdpFields()
        guard fields.count == 2 || fields.count == 4 else { return nil }
        var send: [Stream]?
        var recv: [Stream]?
        for pair in stride(from: 0, to: fields.count, by: 2) {
            guard let direction = StreamDirection(rawValue: String(fields[pair])),
                let streams = Self.parseStreams(fields[pair + 1])
            else { return nil }
            switch direction {
            case .send:
                guard send == nil else { return nil }
                send = streams
            case .recv:
                guard recv == nil else { return nil }
                recv = streams
            }
        }
        self.init(send: send ?? [], recv: recv ?? [])
    }

    public var attributeValue: String {
        var parts: [String] = []
        if !send.isEmpty { parts.append("send \(Self.format(send))") }
        if !recv.isEmpty { parts.append("recv \(Self.format(recv))") }
        return parts.joined(separator: " ")
    }

    /// The same streams with directions swapped: the shape of the answer (RFC 8853 §5.3.2).
    public var reversed: Simulcast { Simulcast(send: recv, recv: send) }

    private static func parseStreams(_ text: Substring) -> [Stream]? {
        var streams: [Stream] = []
        for stream in text.sdpSplit(";") {
            var alternatives: Stream = []
            for alternative in stream.sdpSplit(",") {
                let paused = alternative.hasPrefix("~")
                let id = paused ? alternative.dropFirst() : alternative
                guard RID.isValidID(id) else { return nil }
                alternatives.append(RIDReference(id: String(id), isPaused: paused))
            }
            streams.append(alternatives)
        }
        return streams
    }

    private static func format(_ streams: [Stream]) -> String {
        streams.map { stream in
            stream.map { ($0.isPaused ? "~" : "") + $0.id }.joined(separator: ",")
        }.joined(separator: ";")
    }
}
