import Foundation

/// The built-in processor for development and tests: charges succeed unless `PaymentSandboxRules` decline
/// them; it keeps a ledger so tests can count charges and refunds.
public actor SandboxPaymentProvider: PaymentProvider {
    public struct LedgerEntry: Sendable, Equatable {
        public var charge: PaymentCharge
        public var refunded: Bool
    }

    private let rules: PaymentSandboxRules
    private var byKey: [String: PaymentCharge] = [:]
    public private(set) var ledger: [String: LedgerEntry] = [:]

    public init(rules: PaymentSandboxRules) {
        self.rules = rules
    }

    public func charge(amountCents: Int64, cardToken: String, idempotencyKey: String) throws(PaymentError) -> PaymentCharge {
        if let existing = byKey[idempotencyKey] { return existing }
        if let reason = rules.declineReason(amountCents: Int(amountCents), cardToken: cardToken) {
            throw .declined(reason)
        }
        let charge = PaymentCharge(id: "ch_sandbox_" + UUID().uuidString.lowercased(), amountCents: amountCents)
        byKey[idempotencyKey] = charge
        ledger[charge.id] = LedgerEntry(charge: charge, refunded: false)
        return charge
    }

    public func refund(chargeID: String) throws(PaymentError) {
        guard var entry = ledger[chargeID] else { throw .unknownCharge(chargeID) }
        entry.refunded = true
        ledger[chargeID] = entry
    }

    /// Charges taken and not refunded.
    public var capturedCharges: [PaymentCharge] { ledger.values.filter { !$0.refunded }.map(\.charge) }
    public var allCharges: [PaymentCharge] { ledger.values.map(\.charge) }
}
