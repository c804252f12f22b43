/// When the built-in sandbox payment provider declines a charge, so the "payment failed" branch of the
/// booking flow can be exercised without a real processor.
public struct PaymentSandboxRules: Codable, Sendable, Equatable {
    /// Card tokens that are always declined (like a processor's test card numbers).
    public var declineCardTokens: [String] = ["tok_decline"]
    /// Exact amounts (in cents) that are declined.
    public var declineAmountsCents: [Int] = []
    /// Amounts above this (in cents) are declined; 0 disables the rule.
    public var declineAboveCents: Int = 0

    public init(declineCardTokens: [String] = ["tok_decline"], declineAmountsCents: [Int] = [], declineAboveCents: Int = 0) {
        self.declineCardTokens = declineCardTokens
        self.declineAmountsCents = declineAmountsCents
        self.declineAboveCents = declineAboveCents
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        declineCardTokens = try c.decodeIfPresent([String].self, forKey: .declineCardTokens) ?? ["tok_decline"]
        declineAmountsCents = try c.decodeIfPresent([Int].self, forKey: .declineAmountsCents) ?? []
        declineAboveCents = try c.decodeIfPresent(Int.self, forKey: .declineAboveCents) ?? 0
    }

    /// Nil when the charge goes through, else the decline reason.
    public func declineReason(amountCents: Int, cardToken: String) -> String? {
        if declineCardTokens.contains(cardToken) { return "card declined" }
        if declineAmountsCents.contains(amountCents) { return "amount declined by the sandbox rules" }
        if declineAboveCents > 0, amountCents > declineAboveCents { return "amount above the sandbox limit" }
        return nil
    }
}
