import FluentKit
import FluentSQL
import Foundation
import Logging
import ServiceLifecycle

/// Records refunds owed. Callers pass the transaction of the cancellation that owes the money, so the
/// refund exists exactly when the cancellation does (the email outbox's pattern).
enum RefundOutbox {
    /// Queues a refund of `chargeID`, due now; returns its id. A charge already queued keeps its one entry.
    static func enqueue(
        chargeID: String, amountCents: Int64, paymentID: Int64? = nil, now: Date, on db: any Database
    ) async throws -> Int64 {
        if let existing = try await RefundOutboxEntry.query(on: db).filter(\.$chargeID == chargeID).first() {
            return existing.id!
        }
        var paymentID = paymentID
        if paymentID == nil {
            paymentID = try await Payment.query(on: db).filter(\.$chargeID == chargeID).first()?.id
        }
        if let paymentID {
            try await Payment.query(on: db).filter(\.$id == paymentID)
                .set(\.$status, to: .refunding).update()
        }
        let entry = RefundOutboxEntry()
        entry.paymentID = paymentID
        entry.chargeID = chargeID
        entry.amountCents = amountCents
        entry.status = .pending
        entry.attempts = 0
        entry.nextAttemptAt = now
        try await entry.create(on: db)
        return entry.id!
    }
}

/// Sends the refund outbox to the processor until each refund is confirmed, with exponential backoff
/// (1 s, 2 s, 4 s … capped at `maximumBackoff`), and never gives up: money owed stays owed. An entry is
/// marked `done` only after the processor confirmed it; a crash after the processor's answer and
/// before that mark just sends it again, which the processor's idempotency key (`refund:<entry id>`)
/// turns into a no-op.
///
/// Each attempt is claimed first with a conditional UPDATE that also pushes `next_attempt_at` out, so two
/// dispatchers never send the same attempt and an attempt cut short by a crash waits its backoff.
///
/// As a ServiceLifecycle service it also re-runs `PaymentRecovery` for payments left pending longer than
/// `stalePendingAfter` (a request that died between the charge and the commit without the process dying).
public struct RefundDispatcher: Service {
    let services: ControlPlaneServices
    let interval: Duration
    let stalePendingAfter: TimeInterval
    static let maximumBackoff: TimeInterval = 3_600

    public init(services: ControlPlaneServices, interval: Duration = .seconds(5), stalePendingAfter: TimeInterval = 120) {
        self.services = services
        self.interval = interval
        self.stalePendingAfter = stalePendingAfter
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully {
            do {
                _ = try await PaymentRecovery(services: services).reconcile(olderThan: stalePendingAfter)
                _ = try await dispatchDue()
            } catch {
                services.logger.error("refund outbox: \(error)")
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }

    /// Seconds to wait after the `attempts`-th failed attempt.
    static func backoff(afterAttempts attempts: Int) -> TimeInterval {
        min(maximumBackoff, pow(2, Double(min(max(attempts, 1), 20) - 1)))
    }

    /// One pass over the refunds that are due; returns how many the processor confirmed.
    @discardableResult
    public func dispatchDue(limit: Int = 50) async throws -> Int {
        let due = try await RefundOutboxEntry.query(on: services.db).filter(\.$status == .pending)
            .filter(\.$nextAttemptAt <= services.now()).sort(\.$nextAttemptAt).limit(limit).all()
        var done = 0
        for entry in due where await attempt(entry) { done += 1 }
        return done
    }

    /// Attempts these entries now if never tried or due (right after the cancellation that queued them commits);
    /// failures are left to the periodic pass. Never throws: the refund is already safe in the outbox.
    func dispatch(ids: [Int64]) async {
        for id in ids {
            guard let entry = try? await RefundOutboxEntry.find(id, on: services.db),
                  entry.status == .pending, entry.attempts == 0 || entry.nextAttemptAt <= services.now()
            else { continue }
            _ = await attempt(entry)
        }
    }

    /// Claims, sends and settles one entry; true when the processor confirmed it.
    private func attempt(_ entry: RefundOutboxEntry) async -> Bool {
        let db = services.db
        let now = services.now()
        let attempt = entry.attempts + 1
        do {
            let claimed = try await db.sql.raw("""
                UPDATE refund_outbox SET attempts = attempts + 1, \
                next_attempt_at = \(bind: now.addingTimeInterval(Self.backoff(afterAttempts: attempt))) \
                WHERE id = \(bind: entry.id!) AND status = \(bind: RefundStatus.pending.rawValue) \
                AND attempts = \(bind: entry.attempts) RETURNING id
                """).all()
            guard !claimed.isEmpty else { return false }
        } catch {
            services.logger.error("refund \(entry.id!) not claimed: \(error)")
            return false
        }
        do {
            try await services.payments.refund(chargeID: entry.chargeID, idempotencyKey: "refund:\(entry.id!)")
        } catch {
            services.logger.warning("refund \(entry.id!) of \(entry.chargeID), attempt \(attempt): \(error)")
            try? await RefundOutboxEntry.query(on: db).filter(\.$id == entry.id!)
                .set(\.$lastError, to: String(String(describing: error).prefix(500))).update()
            return false
        }
        do {
            try await db.transaction { tx in
                try await RefundOutboxEntry.query(on: tx).filter(\.$id == entry.id!)
                    .set(\.$status, to: .done).set(\.$doneAt, to: services.now()).set(\.$lastError, to: nil).update()
                if let paymentID = entry.paymentID {
                    try await Payment.query(on: tx).filter(\.$id == paymentID).set(\.$status, to: .refunded).update()
                }
            }
        } catch {
            // The processor has it; the next attempt repeats the (idempotent) call and marks it then.
            services.logger.error("refund \(entry.id!) confirmed but not recorded: \(error)")
            return false
        }
        return true
    }
}

/// Resolves payments left `pending`: the process died (or the request failed) after the payment row was
/// committed and before its outcome was. The processor is asked what became of the idempotency key:
/// charged → the booking is confirmed (or, if its session was cancelled meanwhile, refunded); declined or
/// never seen → the payment fails and the seat it held is released. A processor that cannot answer
/// leaves the payment pending for the next pass.
public struct PaymentRecovery: Sendable {
    let services: ControlPlaneServices

    public init(services: ControlPlaneServices) {
        self.services = services
    }

    public struct Outcome: Sendable, Equatable {
        public var confirmed = 0
        public var failed = 0
        public var unresolved = 0

        public init(confirmed: Int = 0, failed: Int = 0, unresolved: Int = 0) {
            self.confirmed = confirmed
            self.failed = failed
            self.unresolved = unresolved
        }
    }

    /// At start-up (`olderThan: 0`, before the HTTP server takes requests) every pending payment is
    /// resolved; later passes only touch payments older than any request can take.
    @discardableResult
    public func reconcile(olderThan age: TimeInterval = 0) async throws -> Outcome {
        var query = Payment.query(on: services.db).filter(\.$status == .pending)
        // The booking flow stamps `created_at` from the services' clock, so the cutoff reads the same clock.
        if age > 0 { query = query.filter(\.$createdAt <= services.now().addingTimeInterval(-age)) }
        let pending = try await query.sort(\.$id).all()
        var outcome = Outcome()
        let bookings = BookingService(services: services)
        for payment in pending {
            let answer: ChargeOutcome
            do {
                answer = try await services.payments.lookup(idempotencyKey: payment.idempotencyKey)
            } catch {
                services.logger.warning("payment \(payment.id!) still pending: processor lookup failed: \(error)")
                outcome.unresolved += 1
                continue
            }
            switch answer {
            case .charged(let charge):
                try await bookings.confirm(payment, charge: charge)
                outcome.confirmed += 1
            case .declined(let reason):
                try await bookings.fail(payment, reason: reason)
                outcome.failed += 1
            case .notFound:
                try await bookings.fail(payment, reason: "the processor has no charge for this payment (interrupted)")
                outcome.failed += 1
            }
        }
        if !pending.isEmpty {
            services.logger.notice(
                "payment recovery: \(outcome.confirmed) confirmed, \(outcome.failed) failed, \(outcome.unresolved) unresolved")
        }
        return outcome
    }
}
