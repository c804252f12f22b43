/// One sent packet joined with what feedback said about it: the unit every estimator consumes.
public struct PacketResult: Sendable, Equatable {
    /// Unwrapped transport-wide sequence number.
    public var sequenceNumber: Int64
    /// Sender's monotonic clock, nanoseconds.
    public var sendTime: Int64
    public var size: Int
    /// Receiver's clock, nanoseconds (its epoch is unrelated to the sender's; only differences count);
    /// `nil` when reported lost.
    public var arrivalTime: Int64?
    /// Probe cluster the packet belonged to, or -1.
    public var probeCluster: Int32

    public var isReceived: Bool { arrivalTime != nil }

    public init(sequenceNumber: Int64, sendTime: Int64, size: Int, arrivalTime: Int64?, probeCluster: Int32 = -1) {
        self.sequenceNumber = sequenceNumber
        self.sendTime = sendTime
        self.size = size
        self.arrivalTime = arrivalTime
        self.probeCluster = probeCluster
    }
}

/// Totals over one feedback packet's new results, for the loss estimate and the RTT.
public struct FeedbackSummary: Sendable, Equatable {
    /// Packets newly reported received (duplicates excluded).
    public var received = 0
    /// Packets newly reported lost.
    public var lost = 0
    /// Packets reported lost by earlier feedback and received after all.
    public var recovered = 0
    /// Send time of the newest packet this feedback reports received; feedback arrival minus this
    /// approximates the round-trip time.
    public var newestReceivedSendTime: Int64?

    public init() {}
}
