import Foundation

/// Converts between the API's decimal amounts (`12.50`) and the integer cents stored in the database.
enum Money {
    /// Nil unless `amount` is ≥ 0 with at most two decimal places and fits a 64-bit cent count.
    /// The amount comes from a stranger's JSON: NaN and the decoder's overflow results are refused before
    /// any arithmetic, and the upper bound keeps `amount * 100` far inside `Int64`.
    static func cents(_ amount: Decimal) -> Int64? {
        guard amount.isFinite, !amount.isNaN, amount >= 0, amount <= 1_000_000_000 else { return nil }
        var scaled = amount * 100
        var rounded = Decimal()
        NSDecimalRound(&rounded, &scaled, 0, .plain)
        guard rounded == scaled else { return nil }
        return NSDecimalNumber(decimal: rounded).int64Value
    }

    static func decimal(_ cents: Int64) -> Decimal {
        Decimal(cents) / 100
    }
}
