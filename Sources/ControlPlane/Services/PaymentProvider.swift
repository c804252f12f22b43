/// A payment processor. Charges carry an idempotency key so a retried charge is not taken twice (the
/// processor returns the original charge instead), and the processor can be asked later what became of
/// the charge made with a key: after a crash between the charge and the booking's commit, start-up asks
/// (`PaymentRecovery`), as one would ask Stripe by retrying the request with the same `Idempotency-Key`.
public protocol PaymentProvider: Sendable {
    func charge(amountCents: Int64, cardToken: String, idempotencyKey: String) async throws(PaymentError) -> PaymentCharge
    /// Gives a charge back. Idempotent per key: a retried refund (the confirmation was lost) refunds once.
    func refund(chargeID: String, idempotencyKey: String) async throws(PaymentError)
    /// What the processor did with the charge attempted under `idempotencyKey`.
    func lookup(idempotencyKey: String) async throws(PaymentError) -> ChargeOutcome
}

public struct PaymentCharge: Sendable, Equatable {
    public var id: String
    public var amountCents: Int64

    public init(id: String, amountCents: Int64) {
        self.id = id
        self.amountCents = amountCents
    }
}

/// The processor's answer about one idempotency key.
public enum ChargeOutcome: Sendable, Equatable {
    /// Charged (whether or not refunded since).
    case charged(PaymentCharge)
    case declined(String)
    /// The processor never saw a charge with this key: no money moved.
    case notFound
}

public enum PaymentError: Error, Sendable, Equatable {
    case declined(String)
    case unknownCharge(String)
    /// The processor could not be reached or failed; nothing is known to have happened. Retry later.
    case unavailable(String)
}
