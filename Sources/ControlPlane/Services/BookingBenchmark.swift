import FluentKit
import FluentSQL
import Foundation

/// Measures booking throughput of the full booking flow (availability check, sandbox charge, conditional seat
/// UPDATE + booking insert + metrics + outbox email + mentor notification in one transaction), below HTTP.
/// Run by `peerlearn bench-bookings`; a measurement, not a test.
public enum BookingBenchmark {
    public struct Result: Sendable, CustomStringConvertible {
        public var backend: String
        public var bookings: Int
        public var concurrency: Int
        public var seconds: Double
        public var bookingsPerSecond: Double { Double(bookings) / seconds }
        /// `current_participants` equalled the number of confirmed bookings for every session afterwards.
        public var countsConsistent: Bool

        public var description: String {
            String(format: "%@: %d bookings, concurrency %d, %.2f s, %.0f bookings/s, counts consistent: %@",
                   backend, bookings, concurrency, seconds, bookingsPerSecond, countsConsistent ? "yes" : "NO")
        }
    }

    public static func run(services: ControlPlaneServices, bookings: Int, concurrency: Int) async throws -> Result {
        let db = services.db
        let seatsPerSession = 100
        let mentor = User(username: "bench-mentor-\(UUID().uuidString.prefix(8))", email: "\(UUID())@bench.invalid",
                          passwordHash: "!", role: .mentor)
        try await mentor.create(on: db)
        var sessions: [UUID] = []
        for index in 0..<((bookings + seatsPerSession - 1) / seatsPerSession) {
            let session = LearningSession()
            session.id = UUID()
            session.title = "Benchmark \(index)"
            session.description = "throughput"
            session.$mentor.id = mentor.id!
            session.schedule = services.now().addingTimeInterval(86400)
            session.duration = 60
            session.maxParticipants = seatsPerSession
            session.currentParticipants = 0
            session.status = .scheduled
            session.meetingRoomID = SessionRoutes.newRoomID()
            session.priceCents = 1000
            session.isPublic = true
            try await session.create(on: db)
            try await PopularityMetrics(sessionID: session.id!).create(on: db)
            sessions.append(session.id!)
        }
        var learners: [Int64] = []
        for index in 0..<bookings {
            let learner = User(username: "bench-\(index)-\(UUID().uuidString.prefix(8))", email: "\(UUID())@bench.invalid",
                               passwordHash: "!", role: .learner)
            try await learner.create(on: db)
            learners.append(learner.id!)
        }

        let service = BookingService(services: services)
        let (sessionIDs, learnerIDs) = (sessions, learners)
        let bookOne: @Sendable (Int) async throws -> Void = { index in
            _ = try await service.book(sessionID: sessionIDs[index / seatsPerSession], learnerID: learnerIDs[index],
                                       cardToken: "tok_bench", idempotencyKey: nil)
        }
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            while next < min(concurrency, bookings) {
                let index = next
                group.addTask { try await bookOne(index) }
                next += 1
            }
            while try await group.next() != nil, next < bookings {
                let index = next
                group.addTask { try await bookOne(index) }
                next += 1
            }
            try await group.waitForAll()
        }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18

        var consistent = true
        for id in sessions {
            let seats = try await LearningSession.find(id, on: db)?.currentParticipants ?? -1
            let confirmed = try await Booking.query(on: db).filter(\.$session.$id == id).filter(\.$status == .confirmed).count()
            consistent = consistent && seats == confirmed
        }
        return Result(backend: services.database.backend.rawValue, bookings: bookings, concurrency: concurrency,
                      seconds: seconds, countsConsistent: consistent)
    }
}
