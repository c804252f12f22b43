/// The `page` and `per_page` query parameters every paginated list takes (defaults 1 and 20, at most 100
/// a page), so the lists page alike.
///
/// Both come from strangers, so both are range-checked before any arithmetic: an unchecked
/// `(page - 1) * perPage` overflows on `page=4611686018427387905` and Swift traps, which ends the whole
/// server process (API and every live room) for one anonymous GET.
struct Pagination: Sendable, Equatable {
    /// The last page anyone may ask for: 100,000 pages of 100 is ten million rows, beyond any catalog we
    /// serve, and keeps `offset` far from overflow on every platform.
    static let maximumPage = 100_000
    static let perPageRange = 1...100

    var page: Int
    var perPage: Int

    /// Rows to skip. Checked arithmetic although `init` already bounds both factors: a future caller that
    /// builds a `Pagination` by hand still cannot trap the process.
    var offset: Int {
        let (product, overflow) = (page - 1).multipliedReportingOverflow(by: perPage)
        return overflow ? Int.max : product
    }

    /// Nil after recording the problems in `validator` when either value is malformed or out of range.
    init?(query: [String: String], validator: inout Validator) {
        let page = query["page"].map { Int($0) } ?? 1
        let perPage = query["per_page"].map { Int($0) } ?? 20
        let pageOK = page.map { (1...Self.maximumPage).contains($0) } ?? false
        let perPageOK = perPage.map { Self.perPageRange.contains($0) } ?? false
        validator.require(pageOK, "page must be an integer 1-\(Self.maximumPage)")
        validator.require(perPageOK, "per_page must be 1-100")
        guard pageOK, perPageOK, let page, let perPage else { return nil }
        self.page = page
        self.perPage = perPage
    }
}
