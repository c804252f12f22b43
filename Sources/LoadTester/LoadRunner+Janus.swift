import NIOCore
import PeerClient

/// One scenario's state on a Janus VideoRoom: the API session and, for a lecture, its room and feed.
struct JanusScenario: Sendable {
    let client: JanusClient
    let lecture: (room: UInt64, feed: UInt64)?

    func close() async { await client.close() }
}

/// The scenarios on a Janus VideoRoom, with the same participants, media and measurements as on
/// our relay. There is no control plane: rooms come from the VideoRoom API and need no tokens.
/// Publishers offer and Janus answers; for subscriptions Janus offers and the tester answers.
extension LoadRunner {
    func joinJanus(_ scenario: Scenario, url: String) async throws -> JanusScenario {
        let client = try await JanusClient.connect(url: url, http: http)
        do {
            switch scenario {
            case .lecture(let viewers), .churn(let viewers, _):
                let room = try await client.createRoom(publishers: 1)
                let feed = try await janusPublish(client, room: room)
                try await forEachConcurrently(Array(0..<viewers)) { _ in
                    try await self.janusWatch(client, room: room, feed: feed)
                }
                return JanusScenario(client: client, lecture: (room, feed))
            case .seminar(let rooms, let size):
                for _ in 0..<rooms {
                    let room = try await client.createRoom(publishers: size)
                    var feeds: [UInt64] = []
                    for _ in 0..<size { feeds.append(try await janusPublish(client, room: room)) }
                    // Everyone watches everyone else, one subscription each, as on our relay.
                    for member in feeds.indices {
                        for other in feeds.indices where other != member {
                            try await janusWatch(client, room: room, feed: feeds[other])
                        }
                    }
                }
                return JanusScenario(client: client, lecture: nil)
            }
        } catch {
            await client.close()
            throw error
        }
    }

    /// Publishes with our offer and waits for `webrtcup`: Janus refuses subscriptions to a feed
    /// whose PeerConnection is not up yet ("No such feed").
    private func janusPublish(_ client: JanusClient, room: UInt64) async throws -> UInt64 {
        let handle = try await client.attach()
        let sendLog = configuration.sendTime.makeLog()
        let participant = try await makeParticipant(role: .publisher, sendLog: sendLog)
        let offer = try await participant.home.submit { participant.box.value.offer() }.get()
        let (feed, answer) = try await client.publish(room: room, handle: handle, offer: offer)
        sendLogs.register(sendLog, as: "janus-feed:\(feed)")
        try await trickle(client, handle: handle, participant: participant)
        let resource = client.handleURL(handle)
        try await participant.home.submit {
            participant.box.value.resourceURL = resource
            try participant.box.value.peer.applyAnswer(answer)
        }.get()
        try await startParticipant(participant)
        try await client.waitForWebRTCUp(handle)
        return feed
    }

    /// Subscribes to one feed: Janus offers, the tester answers receive-only as the DTLS client.
    private func janusWatch(_ client: JanusClient, room: UInt64, feed: UInt64) async throws {
        let participant = try await makeParticipant(role: .viewer, sendLog: sendLogs["janus-feed:\(feed)"])
        let handle = try await client.attach()
        let offer = try await client.subscribe(room: room, feed: feed, handle: handle)
        let resource = client.handleURL(handle)
        let answer = try await participant.home.submit { () throws -> String in
            participant.box.value.resourceURL = resource
            return try participant.box.value.peer.answer(
                offer: offer, acceptingExtensions: [SendTimeCarrier.audioLevelURI, SendTimeCarrier.videoOrientationURI])
        }.get()
        try await client.start(handle: handle, answer: answer)
        try await trickle(client, handle: handle, participant: participant)
        try await startParticipant(participant)
    }

    private func trickle(
        _ client: JanusClient, handle: UInt64, participant: (box: SimulatedParticipantBox, home: any EventLoop)
    ) async throws {
        let local = try await participant.home.submit { participant.box.value.channel?.localAddress }.get()
        guard let local, let host = local.ipAddress, let port = local.port else { return }
        try await client.trickle(handle: handle, host: host, port: port)
    }

    /// Janus's side of churn: the oldest viewer hangs up (detaches its handle) and a new
    /// subscription to the lecturer takes its place.
    func churn(_ janus: JanusScenario, period: Duration) async throws {
        guard let (room, feed) = janus.lecture else { return }
        while !Task.isCancelled {
            try await Task.sleep(for: period)
            let leaving = try await loop.submit { () -> String? in
                guard let victim = self.participants.first(where: { $0.role == .viewer && $0.channel != nil }),
                    let resource = victim.resourceURL
                else { return nil }
                victim.channel?.close(promise: nil)
                victim.channel = nil
                self.retire(victim)
                return resource
            }.get()
            guard let leaving else { continue }
            try await janus.client.detach(leaving)
            try await janusWatch(janus.client, room: room, feed: feed)
        }
    }
}
