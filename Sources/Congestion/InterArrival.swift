/// Groups packets into send-time bursts and reports the delay variation between consecutive groups
/// (draft-ietf-rmcat-gcc §5.2; libwebrtc's `InterArrivalDelta`).
///
/// A video frame leaves as a burst; comparing single packets would measure the pacer, not the
/// path. Packets sent within 5 ms of a group's first packet belong to it, and so do packets that
/// arrived in a burst after a delay (the network released a queue), which would otherwise read as
/// a sudden negative delay.
public struct InterArrival: Sendable {
    /// Packets sent within this of a group's first belong to the group (draft §5.2: 5 ms).
    public static let groupLength: Int64 = 5_000_000
    /// Packets arriving within this of the previous one, and sooner than sent, join its burst.
    public static let burstDeltaThreshold: Int64 = 5_000_000
    /// A burst never stretches longer than this.
    public static let maxBurstDuration: Int64 = 100_000_000
    /// Arrival and send clocks drifting apart by more than this between groups means a clock jump.
    public static let arrivalTimeOffsetThreshold: Int64 = 3_000_000_000
    /// Consecutive groups arriving out of order before the state is reset.
    public static let reorderedResetThreshold = 3

    /// Delay variation between two completed groups.
    public struct Deltas: Sendable, Equatable {
        /// Last send time of this group minus the previous group's, ns.
        public var sendDelta: Int64
        /// Last arrival of this group minus the previous group's, ns.
        public var arrivalDelta: Int64
        /// Bytes in this group minus bytes in the previous one.
        public var sizeDelta: Int
        /// Arrival of this group's last packet, ns on the receiver's clock.
        public var arrivalTime: Int64

        public init(sendDelta: Int64, arrivalDelta: Int64, sizeDelta: Int, arrivalTime: Int64) {
            self.sendDelta = sendDelta
            self.arrivalDelta = arrivalDelta
            self.sizeDelta = sizeDelta
            self.arrivalTime = arrivalTime
        }
    }

    private struct Group {
        var firstSendTime: Int64 = 0
        var sendTime: Int64 = 0
        var firstArrival: Int64 = 0
        var completeTime: Int64 = 0
        var size = 0
        var isEmpty = true
    }

    private var current = Group()
    private var previous = Group()
    private var reordered = 0

    public init() {}

    /// Adds one received packet (in send order); returns the deltas when it closes a group.
    public mutating func add(sendTime: Int64, arrivalTime: Int64, size: Int) -> Deltas? {
        var deltas: Deltas?
        if current.isEmpty {
            current = Group(firstSendTime: sendTime, sendTime: sendTime, firstArrival: arrivalTime, isEmpty: false)
        } else if sendTime < current.firstSendTime {
            return nil  // sent before the group began: reordered on our side, ignore
        } else if startsNewGroup(sendTime: sendTime, arrivalTime: arrivalTime) {
            if !previous.isEmpty {
                let sendDelta = current.sendTime.saturatingSubtract(previous.sendTime)
                let arrivalDelta = current.completeTime.saturatingSubtract(previous.completeTime)
                if arrivalDelta.saturatingSubtract(sendDelta).magnitude > UInt64(Self.arrivalTimeOffsetThreshold) {
                    reset(startingWith: sendTime, arrivalTime, size)
                    return nil
                }
                if arrivalDelta < 0 {
                    reordered += 1
                    if reordered >= Self.reorderedResetThreshold {
                        reset(startingWith: sendTime, arrivalTime, size)
                        return nil
                    }
                    // Keep the previous group as the reference; drop the reordered one.
                    current = Group(
                        firstSendTime: sendTime, sendTime: sendTime, firstArrival: arrivalTime, isEmpty: false)
                    current.size = size
                    current.completeTime = arrivalTime
                    return nil
                }
                reordered = 0
                deltas = Deltas(
                    sendDelta: sendDelta, arrivalDelta: arrivalDelta, sizeDelta: current.size - previous.size,
                    arrivalTime: current.completeTime)
            }
            previous = current
            current = Group(firstSendTime: sendTime, sendTime: sendTime, firstArrival: arrivalTime, isEmpty: false)
        } else {
            current.sendTime = max(current.sendTime, sendTime)
        }
        current.size += min(max(size, 0), Int(Int32.max))  // sizes come from our own history
        current.completeTime = arrivalTime
        return deltas
    }

    private func startsNewGroup(sendTime: Int64, arrivalTime: Int64) -> Bool {
        if belongsToBurst(sendTime: sendTime, arrivalTime: arrivalTime) { return false }
        return sendTime.saturatingSubtract(current.firstSendTime) > Self.groupLength
    }

    private func belongsToBurst(sendTime: Int64, arrivalTime: Int64) -> Bool {
        let arrivalDelta = arrivalTime.saturatingSubtract(current.completeTime)
        let sendDelta = sendTime.saturatingSubtract(current.sendTime)
        if sendDelta == 0 { return true }
        let propagationDelta = arrivalDelta.saturatingSubtract(sendDelta)
        return propagationDelta < 0 && arrivalDelta <= Self.burstDeltaThreshold
            && arrivalTime.saturatingSubtract(current.firstArrival) < Self.maxBurstDuration
    }

    private mutating func reset(startingWith sendTime: Int64, _ arrivalTime: Int64, _ size: Int) {
        reordered = 0
        previous = Group()
        current = Group(
            firstSendTime: sendTime, sendTime: sendTime, firstArrival: arrivalTime, completeTime: arrivalTime,
            size: max(size, 0), isEmpty: false)
    }
}
