import Foundation
import Relay
import RelayServer
import SRTP

/// The relay's part of `config/peerlearn.json` (its `relay` object), each key overridable by a
/// `PEERLEARN_RELAY_*` environment variable like the control plane's keys.
struct RelaySettings: Decodable {
    /// The address the UDP sockets bind; loopback by default so nothing listens beyond the machine.
    var bindHost = "127.0.0.1"
    /// Worker i listens on `port + i`.
    var port = 40_000
    /// Addresses announced as host candidates (a NAT'd server's public address). Empty: `bindHost`.
    var announcedAddresses: [String] = []
    /// UDP workers (event loops with their own socket); 0 means one per core.
    var workers = 1
    /// Distinct users per room when nothing else says (a standalone relay has no session to ask).
    var roomCapacity = 1_000
    /// Simultaneous connections of one user (and of one room token) per worker; see `RelayLimits`.
    var connectionsPerUser = 16
    /// Participants, connected or connecting, one worker accepts.
    var participantsPerWorker = 4_000
    /// People in a room on its home worker before further WHEP viewers go to the least loaded worker, fed
    /// by a cascade pipe (with more than one worker); 0 keeps every room on its home worker.
    var spreadAfter = 50
    /// SRTP implementation: "auto" (OpenSSL EVP for AES-GCM, libsrtp for AES-CM), "libsrtp" or "openssl".
    var srtpBackend = "auto"
    /// Free each peer's OpenSSL DTLS association once its handshake is provably over (see
    /// `RelayConfiguration.retiresDTLS`); false keeps it, for memory comparisons.
    var retireDTLS = true

    private enum CodingKeys: String, CodingKey {
        case bindHost, port, announcedAddresses, workers, roomCapacity, connectionsPerUser, participantsPerWorker, srtpBackend, spreadAfter, retireDTLS
    }

    private struct File: Decodable {
        var relay: RelaySettings?
    }

    init() {}

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        bindHost = try c.decodeIfPresent(String.self, forKey: .bindHost) ?? bindHost
        port = try c.decodeIfPresent(Int.self, forKey: .port) ?? port
        announcedAddresses = try c.decodeIfPresent([String].self, forKey: .announcedAddresses) ?? []
        workers = try c.decodeIfPresent(Int.self, forKey: .workers) ?? workers
        roomCapacity = try c.decodeIfPresent(Int.self, forKey: .roomCapacity) ?? roomCapacity
        connectionsPerUser = try c.decodeIfPresent(Int.self, forKey: .connectionsPerUser) ?? connectionsPerUser
        participantsPerWorker = try c.decodeIfPresent(Int.self, forKey: .participantsPerWorker) ?? participantsPerWorker
        srtpBackend = try c.decodeIfPresent(String.self, forKey: .srtpBackend) ?? srtpBackend
        spreadAfter = try c.decodeIfPresent(Int.self, forKey: .spreadAfter) ?? spreadAfter
        retireDTLS = try c.decodeIfPresent(Bool.self, forKey: .retireDTLS) ?? retireDTLS
    }

    struct Invalid: Error, CustomStringConvertible {
        let description: String
    }

    static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Self {
        var settings = RelaySettings()
        if let data = FileManager.default.contents(atPath: path) {
            settings = try JSONDecoder().decode(File.self, from: data).relay ?? settings
        }
        if let value = environment["PEERLEARN_RELAY_BIND_HOST"] { settings.bindHost = value }
        if let value = environment["PEERLEARN_RELAY_PORT"] {
            guard let port = Int(value) else { throw Invalid(description: "PEERLEARN_RELAY_PORT=\(value) is not a port") }
            settings.port = port
        }
        if let value = environment["PEERLEARN_RELAY_ANNOUNCED_ADDRESSES"] {
            settings.announcedAddresses = value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        }
        if let value = environment["PEERLEARN_RELAY_WORKERS"] {
            guard let workers = Int(value) else { throw Invalid(description: "PEERLEARN_RELAY_WORKERS=\(value) is not a number") }
            settings.workers = workers
        }
        if let value = environment["PEERLEARN_RELAY_ROOM_CAPACITY"] {
            guard let capacity = Int(value) else {
                throw Invalid(description: "PEERLEARN_RELAY_ROOM_CAPACITY=\(value) is not a number")
            }
            settings.roomCapacity = capacity
        }
        for (key, name) in [("PEERLEARN_RELAY_CONNECTIONS_PER_USER", \RelaySettings.connectionsPerUser),
            ("PEERLEARN_RELAY_PARTICIPANTS_PER_WORKER", \RelaySettings.participantsPerWorker),
            ("PEERLEARN_RELAY_SPREAD_AFTER", \RelaySettings.spreadAfter)] {
            guard let value = environment[key] else { continue }
            guard let number = Int(value) else { throw Invalid(description: "\(key)=\(value) is not a number") }
            settings[keyPath: name] = number
        }
        guard (1...1_000).contains(settings.connectionsPerUser) else {
            throw Invalid(description: "relay.connectionsPerUser must be 1...1000")
        }
        guard (1...1_000_000).contains(settings.participantsPerWorker) else {
            throw Invalid(description: "relay.participantsPerWorker must be 1...1000000")
        }
        guard (0...1_000_000).contains(settings.spreadAfter) else {
            throw Invalid(description: "relay.spreadAfter must be 0...1000000")
        }
        guard settings.roomCapacity >= 1 else { throw Invalid(description: "relay.roomCapacity must be >= 1") }
        guard (1...65_535).contains(settings.port) else { throw Invalid(description: "relay.port must be 1...65535") }
        guard settings.workers >= 0 else { throw Invalid(description: "relay.workers must be >= 0") }
        if let value = environment["PEERLEARN_RELAY_SRTP_BACKEND"] { settings.srtpBackend = value }
        guard ["auto", "libsrtp", "openssl"].contains(settings.srtpBackend) else {
            throw Invalid(description: "relay.srtpBackend must be auto, libsrtp or openssl")
        }
        if let value = environment["PEERLEARN_RELAY_RETIRE_DTLS"] {
            guard let retire = Bool(value) else { throw Invalid(description: "PEERLEARN_RELAY_RETIRE_DTLS=\(value) is not true or false") }
            settings.retireDTLS = retire
        }
        return settings
    }

    /// The service's and the engine's settings.
    func apply(to service: inout RelayService.Configuration) {
        service.spreadAfter = spreadAfter
        apply(to: &service.engine)
    }

    /// The engine's limits from these settings (a token names one user, so it shares the user's bound).
    func apply(to engine: inout RelayConfiguration) {
        engine.defaultRoomCapacity = roomCapacity
        engine.limits.connectionsPerUser = connectionsPerUser
        engine.limits.connectionsPerToken = connectionsPerUser
        engine.limits.participantsPerWorker = participantsPerWorker
        engine.retiresDTLS = retireDTLS
        engine.srtpBackend = switch srtpBackend {
        case "libsrtp": .libsrtp
        case "openssl": .openSSL
        default: nil
        }
    }

    var workerCount: Int { workers == 0 ? ProcessInfo.processInfo.activeProcessorCount : workers }
}
