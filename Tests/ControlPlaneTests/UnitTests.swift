@testable import ControlPlane
import Foundation
import Testing

/// Small pure pieces: money conversion, the popularity formula, input validation.
@Suite struct UnitTests {
    @Test func moneyIsExactCents() {
        #expect(Money.cents(Decimal(string: "12.5")!) == 1250)
        #expect(Money.cents(Decimal(string: "0.1")!) == 10)
        #expect(Money.cents(Decimal(string: "19.99")!) == 1999)
        #expect(Money.cents(0) == 0)
        #expect(Money.cents(Decimal(string: "1.005")!) == nil, "sub-cent amounts are refused, not rounded")
        #expect(Money.cents(-1) == nil)
        #expect(Money.decimal(1999) == Decimal(string: "19.99")!)
    }

    @Test func popularityFormula() {
        #expect(PopularityFormula.score(viewCount: 0, bookingCount: 0, completionRate: 0, ratingAverage: 0) == 0)
        let score = PopularityFormula.score(viewCount: 99, bookingCount: 3, completionRate: 0.5, ratingAverage: 4)
        #expect(abs(score - (log(100) + 6 + 5 + 8)) < 1e-12)
        // A booking outweighs many views; quality outweighs a few bookings.
        #expect(PopularityFormula.score(viewCount: 0, bookingCount: 1, completionRate: 0, ratingAverage: 0)
                > PopularityFormula.score(viewCount: 5, bookingCount: 0, completionRate: 0, ratingAverage: 0))
    }

    @Test(arguments: ["a@b.co", "first.last+tag@example.org", "x_y@sub-domain.example.com"])
    func validEmails(_ email: String) { #expect(Validator.isEmail(email)) }

    @Test(arguments: ["", "plain", "@example.com", "a@", "a@b", "a b@example.com", "a@@example.com", "a@exa mple.com",
                      "a@.example.com", "ü@example.com"])
    func invalidEmails(_ email: String) { #expect(!Validator.isEmail(email)) }

    @Test func passwordStrength() {
        #expect(Validator.passwordProblems("Correct4Horse", username: "ada", email: "ada@example.com").isEmpty)
        #expect(!Validator.passwordProblems("ada12345x", username: "ada", email: "z@example.com").isEmpty)
        #expect(!Validator.passwordProblems(String(repeating: "a1", count: 40), username: "u", email: "u@e.co").isEmpty)
    }

    @Test func sessionTransitionsMatchTheStateMachine() {
        #expect(SessionTransition.schedule.allowedFrom == [.draft])
        #expect(SessionTransition.start.allowedFrom == [.scheduled])
        #expect(SessionTransition.complete.allowedFrom == [.active])
        #expect(Set(SessionTransition.cancel.allowedFrom) == [.draft, .scheduled])
    }
}
