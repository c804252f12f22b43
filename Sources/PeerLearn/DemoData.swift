import ControlPlane
import FluentKit
import Foundation
import Logging

/// `peerlearn serve --demo`: on an empty database, a demo mentor, a demo learner and a few public
/// scheduled sessions, so the first page a new user opens has something to browse and book.
///
/// Rows are written with the control plane's models (the HTTP routes are not callable in-process), so
/// they respect the same CHECK constraints and keep the one-metrics-row-per-session invariant.
enum DemoData {
    struct Account {
        var username: String
        var password: String
        /// bcrypt of `password` (cost 12), made once offline: the control plane's hasher is internal to it,
        /// and these credentials are printed in the log anyway, so a fixed hash hides nothing.
        var passwordHash: String
        var role: UserRole
        var firstName: String
        var lastName: String
        var bio: String
        var skills: [String]
    }

    static let mentor = Account(
        username: "demo_mentor", password: "mentor-demo-2026",
        passwordHash: "$2b$12$HYAB8ebKKKAWSVLbJaqctOeFRTk2cry8MkI/c30z.f7p0TtcjeqoC",
        role: .mentor, firstName: "Ada", lastName: "Mentor",
        bio: "Swift and WebRTC engineer. I like small groups and live coding.",
        skills: ["swift", "webrtc", "networking"])

    static let learner = Account(
        username: "demo_learner", password: "learner-demo-2026",
        passwordHash: "$2b$12$h5hRevZ4wJj3PgE7SADiAeLMKDrZp6M9.8bi8gl6zCkMkdquq0jzW",
        role: .learner, firstName: "Lin", lastName: "Learner",
        bio: "Learning to build real-time apps.", skills: ["javascript"])

    struct SessionSeed {
        var title: String
        var description: String
        /// From now; the first starts within the join window, so the room can be tried at once.
        var startsIn: TimeInterval
        var duration: Int
        var maxParticipants: Int
        var skills: [String]
        var priceCents: Int64
        /// The demo learner holds a seat, so their dashboard has a room to open straight away.
        var bookedByDemoLearner = false
    }

    static let sessions = [
        SessionSeed(title: "Swift concurrency in practice",
                    description: "Actors, tasks and Sendable, with live questions. Bring a project.",
                    startsIn: 10 * 60, duration: 60, maxParticipants: 8, skills: ["swift"], priceCents: 0,
                    bookedByDemoLearner: true),
        SessionSeed(title: "How a WebRTC SFU forwards media",
                    description: "ICE, DTLS-SRTP and RTP rewriting, drawn on a whiteboard and shown in Wireshark.",
                    startsIn: 26 * 3600, duration: 90, maxParticipants: 12, skills: ["webrtc", "networking"],
                    priceCents: 1500),
        SessionSeed(title: "Code review clinic",
                    description: "Send a pull request beforehand; we review three of them together.",
                    startsIn: 3 * 86400, duration: 45, maxParticipants: 4, skills: ["swift", "review"],
                    priceCents: 900),
    ]

    /// Seeds only when there are no users at all, so restarting with `--demo` never duplicates anything.
    static func seedIfEmpty(on db: any Database, now: Date = Date(), logger: Logger) async throws {
        guard try await User.query(on: db).count() == 0 else {
            logger.info("--demo: the database already has users; no demo data added")
            return
        }
        try await db.transaction { tx in
            let mentorRow = try await create(mentor, on: tx)
            let learnerRow = try await create(learner, on: tx)
            for seed in sessions {
                let session = LearningSession()
                session.id = UUID()
                session.title = seed.title
                session.description = seed.description
                session.$mentor.id = try mentorRow.requireID()
                session.schedule = now.addingTimeInterval(seed.startsIn)
                session.duration = seed.duration
                session.maxParticipants = seed.maxParticipants
                session.currentParticipants = seed.bookedByDemoLearner ? 1 : 0
                session.status = .scheduled
                session.meetingRoomID = newRoomID()
                session.skillsRequired = seed.skills
                session.priceCents = seed.priceCents
                session.isPublic = true
                try await session.create(on: tx)
                let metrics = PopularityMetrics(sessionID: session.id!)
                if seed.bookedByDemoLearner {
                    try await book(learnerRow, into: session, at: now, on: tx)
                    metrics.bookingCount = 1
                    metrics.popularityScore = PopularityFormula.score(
                        viewCount: 0, bookingCount: 1, completionRate: 0, ratingAverage: 0)
                }
                try await metrics.create(on: tx)
            }
        }
        for account in [mentor, learner] {
            logger.notice("--demo: \(account.role.rawValue) account \(account.username) / password \(account.password)")
        }
        logger.notice("--demo: \(sessions.count) public sessions scheduled by \(mentor.username); \(learner.username) is booked into the first, which opens now")
    }

    private static func create(_ account: Account, on db: any Database) async throws -> User {
        let user = User(username: account.username, email: "\(account.username)@demo.peerlearn.invalid",
                        passwordHash: account.passwordHash, role: account.role)
        user.firstName = account.firstName
        user.lastName = account.lastName
        user.bio = account.bio
        user.skills = account.skills
        user.interests = []
        try await user.create(on: db)
        return user
    }

    /// A confirmed booking of a free session, as the booking flow leaves it (no charge: the price is 0).
    private static func book(_ learner: User, into session: LearningSession, at now: Date, on db: any Database) async throws {
        precondition(session.priceCents == 0, "demo bookings are only made for free sessions")
        let booking = Booking()
        booking.$learner.id = try learner.requireID()
        booking.$session.id = try session.requireID()
        booking.status = .confirmed
        booking.paymentStatus = .paid
        booking.paymentAmountCents = 0
        booking.bookingTime = now
        booking.isReady = false
        try await booking.create(on: db)
    }

    /// 128 random bits, the shape the control plane uses: a room id alone must grant nothing.
    private static func newRoomID() -> String {
        var generator = SystemRandomNumberGenerator()
        return "room-" + (0..<16).map { _ in String(format: "%02x", UInt8.random(in: .min ... .max, using: &generator)) }.joined()
    }
}
