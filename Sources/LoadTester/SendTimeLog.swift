import Foundation

/// One publisher's recent send times by packet index, for `SendTimeCarrier.packetIndex`: written
/// on the publishers' event loop, read on the receivers'. A slot is written before its packet
/// leaves, so a receiver never reads it early.
final class SendTimeLog: @unchecked Sendable {
    static let audioSlots = 128
    static let videoSlots = 16
    private let lock = NSLock()
    private var audio = [Int64](repeating: -1, count: audioSlots)
    private var video = [Int64](repeating: -1, count: videoSlots)

    func record(video isVideo: Bool, index: Int, nanoseconds: Int64) {
        lock.lock()
        defer { lock.unlock() }
        if isVideo { video[index % Self.videoSlots] = nanoseconds } else { audio[index % Self.audioSlots] = nanoseconds }
    }

    func audioSendTime(index: Int) -> Int64? { read { $0.audio[index] } }
    func videoSendTime(index: Int) -> Int64? { read { $0.video[index] } }

    private func read(_ slot: (SendTimeLog) -> Int64) -> Int64? {
        lock.lock()
        defer { lock.unlock() }
        let value = slot(self)
        return value < 0 ? nil : value
    }
}

/// Publishers' send-time logs by who they are (a user id, a Janus feed), for the receivers that
/// watch them. Written when publishers join, read when viewers join.
final class SendTimeLogs: @unchecked Sendable {
    private let lock = NSLock()
    private var logs: [String: SendTimeLog] = [:]

    func register(_ log: SendTimeLog?, as publisher: String) {
        guard let log else { return }
        lock.lock()
        defer { lock.unlock() }
        logs[publisher] = log
    }

    subscript(publisher: String) -> SendTimeLog? {
        lock.lock()
        defer { lock.unlock() }
        return logs[publisher]
    }
}
