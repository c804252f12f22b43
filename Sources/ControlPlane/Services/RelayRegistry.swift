import FluentKit
import Foundation
import SQLKit

/// One `peerlearn relay` process as it reports itself: where browsers signal to it, where its media
/// goes, how many participants it takes, and how many it has now.
public struct RelayNode: Codable, Sendable, Equatable {
    public var id: String
    /// The base URL of its WHIP/WHEP endpoints and room WebSocket (`http(s)://host:port`).
    public var signalingURL: String
    /// Its UDP media addresses (`host:port`), for operators; the SDP answer carries the candidates.
    public var udpAddresses: [String]
    public var capacity: Int
    public var participants: Int
    public var rooms: Int

    public init(id: String, signalingURL: String, udpAddresses: [String], capacity: Int, participants: Int = 0, rooms: Int = 0) {
        self.id = id
        self.signalingURL = signalingURL
        self.udpAddresses = udpAddresses
        self.capacity = capacity
        self.participants = participants
        self.rooms = rooms
    }

    /// What a node may say about itself: the values are written to the shared database and handed to
    /// browsers, so they are checked here, not trusted.
    public func validated() throws -> RelayNode {
        guard (1...100).contains(id.utf8.count),
            id.utf8.allSatisfy({ $0.isASCIIAlphanumeric || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") })
        else { throw RelayRegistryError.invalid("node id: 1-100 of A-Z a-z 0-9 . _ -") }
        guard signalingURL.utf8.count <= 500, let url = URL(string: signalingURL), url.scheme == "http" || url.scheme == "https",
            url.host != nil, url.query == nil
        else { throw RelayRegistryError.invalid("signaling URL: an http(s) base URL of at most 500 characters") }
        guard udpAddresses.count <= 16, udpAddresses.allSatisfy({ $0.utf8.count <= 64 }) else {
            throw RelayRegistryError.invalid("UDP addresses: at most 16 of at most 64 characters")
        }
        guard (1...1_000_000).contains(capacity), (0...10_000_000).contains(participants), (0...10_000_000).contains(rooms) else {
            throw RelayRegistryError.invalid("capacity 1-1,000,000; participants and rooms 0-10,000,000")
        }
        var node = self
        while node.signalingURL.hasSuffix("/") { node.signalingURL.removeLast() }
        return node
    }
}

public enum RelayRegistryError: Error, CustomStringConvertible {
    case invalid(String)

    public var description: String {
        switch self {
        case .invalid(let what): "invalid relay node: \(what)"
        }
    }
}

/// The relay nodes that heartbeat into the shared database, and which node each live room is placed on.
///
/// The database is the registry (PostgreSQL when relays run on several machines): no process holds the
/// truth, and several control planes place rooms consistently because a placement is one row written
/// with `ON CONFLICT`. A room stays on its node for the room's life (its participants must meet there);
/// only a node that stopped heartbeating for `timeout` loses its rooms, to the least loaded live node.
/// With no live node registered, `place` answers nil and the room is served by `serve`'s own relay.
public struct RelayRegistry: Sendable {
    /// A node is live while its last heartbeat is younger than this (three missed 2-s heartbeats).
    public static let defaultTimeout: TimeInterval = 6
    /// How often a node should heartbeat.
    public static let heartbeatInterval: Duration = .seconds(2)

    let database: PeerLearnDatabase
    let now: @Sendable () -> Date
    let timeout: TimeInterval

    public init(database: PeerLearnDatabase, timeout: TimeInterval = Self.defaultTimeout, now: @escaping @Sendable () -> Date = Date.init) {
        self.database = database
        self.timeout = timeout
        self.now = now
    }

    private static func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1_000).rounded()) }
    private var cutoff: Int64 { Self.milliseconds(now().addingTimeInterval(-timeout)) }
    /// An edge is a free choice, not a room's home: only nodes heard from within the last two heartbeats and a
    /// second are sent learners, so a node that just died gets few while the origin's timeout still runs (one
    /// heartbeat and a half was too tight for a busy machine: live edges were passed over).
    private var edgeCutoff: Int64 { Self.milliseconds(now().addingTimeInterval(-min(timeout, Self.edgeFreshness))) }
    static let edgeFreshness: TimeInterval = 5

    /// Registers the node or refreshes it (its load and where it is), as one upsert.
    public func heartbeat(_ node: RelayNode) async throws {
        let node = try node.validated()
        let at = Self.milliseconds(now())
        let addresses = String(decoding: try JSONEncoder().encode(node.udpAddresses), as: UTF8.self)
        try await database.db.sql.raw("""
            INSERT INTO relay_nodes (id, signaling_url, udp_addresses, capacity, participants, rooms, started_ms, heartbeat_ms) \
            VALUES (\(bind: node.id), \(bind: node.signalingURL), \(bind: addresses), \(bind: node.capacity), \
            \(bind: node.participants), \(bind: node.rooms), \(bind: at), \(bind: at)) \
            ON CONFLICT (id) DO UPDATE SET signaling_url = excluded.signaling_url, udp_addresses = excluded.udp_addresses, \
            capacity = excluded.capacity, participants = excluded.participants, rooms = excluded.rooms, \
            heartbeat_ms = excluded.heartbeat_ms, pending = 0
            """).run()
    }

    /// A node shutting down: its rooms are placed afresh at once instead of after `timeout`.
    public func leave(nodeID: String) async throws {
        try await database.db.sql.raw("DELETE FROM relay_nodes WHERE id = \(bind: nodeID)").run()
    }

    /// The nodes heartbeating now, by id.
    public func liveNodes() async throws -> [RelayNode] {
        try await database.db.sql.raw("""
            SELECT id, signaling_url, udp_addresses, capacity, participants, rooms FROM relay_nodes \
            WHERE heartbeat_ms >= \(bind: cutoff) ORDER BY id
            """).all().map(Self.node)
    }

    /// The node a room is on: where it was placed if that node is live, else the least loaded live node
    /// (participants against capacity; then fewest rooms placed), recorded so every later join goes there
    /// too. Nil when no node is live.
    public func place(roomID: String) async throws -> RelayNode? {
        let db = database.db.sql
        if let placed = try await placement(of: roomID, on: db) { return placed }
        let cutoff = self.cutoff
        guard let chosen = try await db.raw("""
            SELECT id, signaling_url, udp_addresses, capacity, participants, rooms FROM relay_nodes n \
            WHERE heartbeat_ms >= \(bind: cutoff) \
            ORDER BY (participants * 1.0 / capacity), \
            (SELECT COUNT(*) FROM room_placements p WHERE p.node_id = n.id), id LIMIT 1
            """).first().map(Self.node)
        else { return nil }
        // Two control planes placing the same room at once: the first row wins, and a placement is moved
        // only off a node that is no longer live.
        try await db.raw("""
            INSERT INTO room_placements (meeting_room_id, node_id, placed_ms) \
            VALUES (\(bind: roomID), \(bind: chosen.id), \(bind: Self.milliseconds(now()))) \
            ON CONFLICT (meeting_room_id) DO UPDATE SET node_id = excluded.node_id, placed_ms = excluded.placed_ms \
            WHERE room_placements.node_id NOT IN (SELECT id FROM relay_nodes WHERE heartbeat_ms >= \(bind: cutoff))
            """).run()
        return try await placement(of: roomID, on: db) ?? chosen
    }

    /// The live node a room was placed on (its origin), without placing it.
    public func origin(of roomID: String) async throws -> RelayNode? {
        try await placement(of: roomID, on: database.db.sql)
    }

    /// The node a room token sends its holder to. The room's origin (`place`) takes the host, and learners
    /// while it has room (participants at its last heartbeat plus tokens handed out since, under capacity);
    /// past that, learners go to the least loaded other live node with room, an edge that pipes the room
    /// from its origin. Every node full: the origin.
    public func admit(roomID: String, host: Bool) async throws -> RelayNode? {
        guard let origin = try await place(roomID: roomID) else { return nil }
        let db = database.db.sql
        // Each seat is taken by one conditional UPDATE, so concurrent token requests cannot all read the same
        // spare seat: the database re-checks the condition on the row it updates.
        if !host {
            let atOrigin = try await db.raw("""
                UPDATE relay_nodes SET pending = pending + 1 \
                WHERE id = \(bind: origin.id) AND participants + pending < capacity RETURNING id
                """).all()
            if !atOrigin.isEmpty { return origin }
            for _ in 0..<3 {
                guard let edge = try await db.raw("""
                    SELECT id, signaling_url, udp_addresses, capacity, participants, rooms FROM relay_nodes \
                    WHERE heartbeat_ms >= \(bind: edgeCutoff) AND id <> \(bind: origin.id) AND participants + pending < capacity \
                    ORDER BY ((participants + pending) * 1.0 / capacity), id LIMIT 1
                    """).first().map(Self.node)
                else { break }
                let taken = try await db.raw("""
                    UPDATE relay_nodes SET pending = pending + 1 \
                    WHERE id = \(bind: edge.id) AND participants + pending < capacity RETURNING id
                    """).all()
                if !taken.isEmpty { return edge }
            }
        }
        try await db.raw("UPDATE relay_nodes SET pending = pending + 1 WHERE id = \(bind: origin.id)").run()
        return origin
    }

    /// Nodes whose last heartbeat is older than `timeout`, with when it was.
    public func silentNodes() async throws -> [(id: String, lastHeartbeat: Date)] {
        try await database.db.sql.raw("SELECT id, heartbeat_ms FROM relay_nodes WHERE heartbeat_ms < \(bind: cutoff)").all().map {
            (try $0.decode(column: "id", as: String.self),
             Date(timeIntervalSince1970: Double(try $0.decode(column: "heartbeat_ms", as: Int64.self)) / 1_000))
        }
    }

    /// Removes a node that is still silent (one that heartbeat meanwhile stays); its placements go with it.
    /// Whether it was removed.
    public func remove(silentNodeID nodeID: String) async throws -> Bool {
        try await database.db.sql.raw("""
            DELETE FROM relay_nodes WHERE id = \(bind: nodeID) AND heartbeat_ms < \(bind: cutoff) RETURNING id
            """).all().count == 1
    }

    /// The room is over: its placement goes, in the caller's transaction.
    static func release(roomID: String, on db: any Database) async throws {
        try await db.sql.raw("DELETE FROM room_placements WHERE meeting_room_id = \(bind: roomID)").run()
    }

    private func placement(of roomID: String, on db: any SQLDatabase) async throws -> RelayNode? {
        try await db.raw("""
            SELECT n.id, n.signaling_url, n.udp_addresses, n.capacity, n.participants, n.rooms \
            FROM room_placements p JOIN relay_nodes n ON n.id = p.node_id \
            WHERE p.meeting_room_id = \(bind: roomID) AND n.heartbeat_ms >= \(bind: cutoff)
            """).first().map(Self.node)
    }

    private static func node(_ row: any SQLRow) throws -> RelayNode {
        let addresses = try row.decode(column: "udp_addresses", as: String.self)
        return RelayNode(
            id: try row.decode(column: "id", as: String.self),
            signalingURL: try row.decode(column: "signaling_url", as: String.self),
            udpAddresses: (try? JSONDecoder().decode([String].self, from: Data(addresses.utf8))) ?? [],
            capacity: Int(try row.decode(column: "capacity", as: Int64.self)),
            participants: Int(try row.decode(column: "participants", as: Int64.self)),
            rooms: Int(try row.decode(column: "rooms", as: Int64.self)))
    }
}

private extension UInt8 {
    var isASCIIAlphanumeric: Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(self)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self)
    }
}
