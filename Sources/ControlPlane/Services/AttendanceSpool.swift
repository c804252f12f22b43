import Foundation
import Logging

/// One attendance report of a relay node, as spooled: a join, a statistics snapshot or a departure of one
/// connection, stamped when the relay saw it.
public struct SpooledAttendance: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable { case joined, statistics, left }

    public var sequence: UInt64
    public var kind: Kind
    public var roomID: String
    public var userID: String
    /// The node's key for the connection (node, process incarnation, participant): unique across restarts.
    public var connectionKey: String
    public var at: Date
    public var report: ParticipantStatisticsReport?
}

/// A relay node's durable journal of attendance reports, so neither a database outage nor a relay crash
/// loses a join, a departure or the last statistics: each report is appended to a file (JSON lines) before
/// anything else happens to it, and leaves the journal only once the shared database has it
/// (`AttendanceSpoolDrainer`). Joins and departures are fsynced; a snapshot is not (the next one, 5 s later,
/// supersedes it), and a newer snapshot of a connection replaces the older one still waiting, so an outage
/// costs memory and disk per connection, not per 5 s. The file is emptied whenever everything is applied
/// and rewritten when superseded lines outnumber the waiting ones.
public actor AttendanceSpool {
    private let path: String
    private var handle: FileHandle
    private let logger: Logger
    private(set) var pending: [SpooledAttendance] = []
    private var nextSequence: UInt64 = 1
    private var linesInFile = 0
    /// Reports written by an earlier run of the node (replayed first; then its dangling rows are closed).
    public nonisolated let firstLiveSequence: UInt64
    /// Lines of the file that could not be read (a write torn by a crash): skipped.
    public private(set) var unreadableLines = 0

    public init(path: String, logger: Logger) throws {
        self.path = path
        self.logger = logger
        if !FileManager.default.fileExists(atPath: path) {
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
            }
        }
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        var recovered: [SpooledAttendance] = []
        var unreadable = 0
        for line in data.split(separator: UInt8(ascii: "\n")) where !line.isEmpty {
            if let entry = try? JSONDecoder.spool.decode(SpooledAttendance.self, from: line) {
                recovered.append(entry)
            } else {
                unreadable += 1
            }
        }
        var kept: [SpooledAttendance] = []
        for entry in recovered { Self.enqueue(entry, into: &kept) }
        pending = kept
        unreadableLines = unreadable
        linesInFile = recovered.count + unreadable
        nextSequence = (recovered.map(\.sequence).max() ?? 0) + 1
        firstLiveSequence = nextSequence
        handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
    }

    /// Waiting reports, oldest first.
    public var waiting: [SpooledAttendance] { pending }

    /// Journals a report; returns once it is written (and, for a join or departure, on disk).
    public func append(
        _ kind: SpooledAttendance.Kind, roomID: String, userID: String, connectionKey: String, at: Date,
        report: ParticipantStatisticsReport? = nil
    ) throws {
        let entry = SpooledAttendance(
            sequence: nextSequence, kind: kind, roomID: roomID, userID: userID, connectionKey: connectionKey, at: at,
            report: report)
        nextSequence += 1
        var line = try JSONEncoder.spool.encode(entry)
        line.append(UInt8(ascii: "\n"))
        try handle.write(contentsOf: line)
        if kind != .statistics { try handle.synchronize() }
        linesInFile += 1
        Self.enqueue(entry, into: &pending)
    }

    /// The database has every report through `sequence`.
    public func applied(through sequence: UInt64) throws {
        pending.removeAll { $0.sequence <= sequence }
        if pending.isEmpty {
            try handle.truncate(atOffset: 0)
            try handle.synchronize()
            linesInFile = 0
        } else if linesInFile > 2 * pending.count + 1_000 {
            try rewrite()
        }
    }

    /// A newer snapshot of a connection replaces a waiting older one (never the first waiting report, which
    /// may be being applied).
    private static func enqueue(_ entry: SpooledAttendance, into queue: inout [SpooledAttendance]) {
        if entry.kind == .statistics, let older = queue.indices.dropFirst().last(where: {
            queue[$0].connectionKey == entry.connectionKey
        }), queue[older].kind == .statistics {
            queue.remove(at: older)
        }
        queue.append(entry)
    }

    /// Replaces the file with the waiting reports (written aside, fsynced, renamed over).
    private func rewrite() throws {
        let aside = path + ".rewrite"
        var data = Data()
        for entry in pending {
            data.append(try JSONEncoder.spool.encode(entry))
            data.append(UInt8(ascii: "\n"))
        }
        guard FileManager.default.createFile(atPath: aside, contents: data) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: aside])
        }
        let written = try FileHandle(forWritingTo: URL(fileURLWithPath: aside))
        try written.synchronize()
        try written.close()
        guard rename(aside, path) == 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path]) }
        try handle.close()
        let reopened = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try reopened.seekToEnd()
        handle = reopened
        linesInFile = pending.count
        logger.info("attendance spool rewritten: \(pending.count) reports waiting")
    }
}

extension JSONEncoder {
    static var spool: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .millisecondsSince1970
        return encoder
    }
}

extension JSONDecoder {
    static var spool: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        return decoder
    }
}
