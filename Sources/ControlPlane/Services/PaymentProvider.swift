/// A payment processor. Charges carry the client's idempotency key so a retried charge is not taken twice
/// (the processor returns the original charge instead).
public protocol PaymentProvider: Sendable {
    func charge(amountCents: Int64, cardToken: String, idempotencyKey: String) async throws(PaymentError) -> PaymentCharge
    func refund(chargeID: String) async throws(PaymentError)
}

public struct PaymentCharge: Sendable, Equatable {
    public var id: String
    public var amountCents: Int64

    public init(id: String, amountCents: Int64) {
        self.id = id
        self.amountCents = amountCents
    }
}

public enum PaymentError: Error, Sendable, Equatable {
    case declined(String)
    case unknownCharge(String)
}
