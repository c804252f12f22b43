import DTLS

/// Generating a certificate costs an EC key generation; tests share two, as a relay shares one.
enum TestCertificates {
    static let server = try! DTLSCertificate()
    static let client = try! DTLSCertificate()
}

/// Two connections wired back to back in memory, with a hook to lose datagrams.
final class Link {
    enum Direction { case clientToServer, serverToClient }

    let client: DTLSConnection
    let server: DTLSConnection
    var now = ContinuousClock.now
    private(set) var clientEvents: [DTLSEvent] = []
    private(set) var serverEvents: [DTLSEvent] = []
    private(set) var largestDatagram = 0
    /// Return true to drop a datagram. The index counts datagrams per direction from 0.
    var drop: (Direction, Int, [UInt8]) -> Bool = { _, _, _ in false }
    private var sent: [Direction: Int] = [:]

    init(client: DTLSConnection.Configuration, server: DTLSConnection.Configuration) throws {
        self.client = try DTLSConnection(configuration: client)
        self.server = try DTLSConnection(configuration: server)
    }

    convenience init(
        clientProfiles: [DTLSSRTPProfile] = [.aeadAes128Gcm, .aes128CmHmacSha1_80],
        serverExpects: DTLSFingerprint = TestCertificates.client.fingerprint,
        clientExpects: DTLSFingerprint = TestCertificates.server.fingerprint,
        configure: (inout DTLSConnection.Configuration) -> Void = { _ in }
    ) throws {
        var clientConfiguration = DTLSConnection.Configuration(
            role: .client, certificate: TestCertificates.client, remoteFingerprint: clientExpects)
        clientConfiguration.srtpProfiles = clientProfiles
        configure(&clientConfiguration)
        var serverConfiguration = DTLSConnection.Configuration(
            role: .server, certificate: TestCertificates.server, remoteFingerprint: serverExpects)
        configure(&serverConfiguration)
        try self.init(client: clientConfiguration, server: serverConfiguration)
    }

    func start() {
        server.start(now: now)
        client.start(now: now)
    }

    /// Moves datagrams both ways until neither side has anything to send.
    func pump(maxRounds: Int = 50) {
        for _ in 0..<maxRounds {
            var moved = false
            while let datagram = client.pollTransmit() {
                moved = true
                deliver(datagram, .clientToServer)
            }
            while let datagram = server.pollTransmit() {
                moved = true
                deliver(datagram, .serverToClient)
            }
            collectEvents()
            if !moved { return }
        }
    }

    private func deliver(_ datagram: [UInt8], _ direction: Direction) {
        largestDatagram = max(largestDatagram, datagram.count)
        let index = sent[direction, default: 0]
        sent[direction] = index + 1
        guard !drop(direction, index, datagram) else { return }
        switch direction {
        case .clientToServer: server.handleDatagram(datagram, now: now)
        case .serverToClient: client.handleDatagram(datagram, now: now)
        }
    }

    private func collectEvents() {
        while let event = client.pollEvent() { clientEvents.append(event) }
        while let event = server.pollEvent() { serverEvents.append(event) }
    }

    var clientKeys: DTLSSRTPKeyingMaterial? { Self.keys(in: clientEvents) }
    var serverKeys: DTLSSRTPKeyingMaterial? { Self.keys(in: serverEvents) }

    private static func keys(in events: [DTLSEvent]) -> DTLSSRTPKeyingMaterial? {
        for case .connected(let material) in events { return material }
        return nil
    }
}
