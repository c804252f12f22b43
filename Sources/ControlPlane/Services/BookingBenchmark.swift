import FluentKit
import FluentSQL
import Foundation

/// Measures booking throughput of the full paid booking flow below HTTP: the availability read, the first
/// transaction (conditional seat UPDATE, pending booking and payment), the sandbox charge (journaled), and the
/// confirming transaction (booking, payment, metrics, outbox email, mentor notification).
/// Run by `peerlearn bench-bookings`; a measurement, not a test.
public enum BookingBenchmark {
    public struct Result: Sendable, CustomStringConvertible {
        public var backend: String
        public var bookings: Int
        public var concurrency: Int
        public var seconds: Double
        public var bookingsPerSecond: Double { Double(bookings) / seconds }
        /// Per-booking latency (request to confirmed booking), milliseconds.
        public var p50Milliseconds: Double
        public var p99Milliseconds: Double
        /// `current_participants` equalled the number of confirmed bookings for every session afterwards.
        public var countsConsistent: Bool

        public var description: String {
            String(format: "%@: %d bookings, concurrency %d, %.2f s, %.0f bookings/s, p50 %.2f ms, p99 %.2f ms, counts consistent: %@",
                   backend, bookings, concurrency, seconds, bookingsPerSecond, p50Milliseconds, p99Milliseconds,
                   countsConsistent ? "yes" : "NO")
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
        // Learners in batches of 500 rows per INSERT (setup is not what is measured), read back in creation order.
        let tag = "bench-\(UUID().uuidString.prefix(8))"
        for start in stride(from: 0, to: bookings, by: 500) {
            let batch = (start..<min(bookings, start + 500)).map { index in
                User(username: "\(tag)-\(index)", email: "\(tag)-\(index)@bench.invalid", passwordHash: "!", role: .learner)
            }
            try await batch.create(on: db)
        }
        let learners = try await User.query(on: db).filter(\.$username =~ (tag + "-")).sort(\.$id).all().compactMap(\.id)
        guard learners.count == bookings else { throw APIError.badRequest("benchmark setup created \(learners.count) learners") }

        let service = BookingService(services: services)
        let (sessionIDs, learnerIDs) = (sessions, learners)
        let bookOne: @Sendable (Int) async throws -> Duration = { index in
            let started = ContinuousClock.now
            _ = try await service.book(sessionID: sessionIDs[index / seatsPerSession], learnerID: learnerIDs[index],
                                       cardToken: "tok_bench", idempotencyKey: nil)
            return ContinuousClock.now - started
        }
        var latencies: [Duration] = []
        latencies.reserveCapacity(bookings)
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Duration.self) { group in
            var next = 0
            while next < min(concurrency, bookings) {
                let index = next
                group.addTask { try await bookOne(index) }
                next += 1
            }
            while let latency = try await group.next() {
                latencies.append(latency)
                guard next < bookings else { continue }
                let index = next
                group.addTask { try await bookOne(index) }
                next += 1
            }
        }
        let elapsed = ContinuousClock.now - start
        let seconds = Self.seconds(elapsed)
        let sorted = latencies.sorted()
        let percentile = { (p: Double) -> Double in
            sorted.isEmpty ? 0 : Self.seconds(sorted[min(sorted.count - 1, Int(p * Double(sorted.count)))]) * 1000
        }

        var consistent = true
        for id in sessions {
            let seats = try await LearningSession.find(id, on: db)?.currentParticipants ?? -1
            let confirmed = try await Booking.query(on: db).filter(\.$session.$id == id).filter(\.$status == .confirmed).count()
            consistent = consistent && seats == confirmed
        }
        return Result(backend: services.database.backend.rawValue, bookings: bookings, concurrency: concurrency,
                      seconds: seconds, p50Milliseconds: percentile(0.5), p99Milliseconds: percentile(0.99),
                      countsConsistent: consistent)
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
