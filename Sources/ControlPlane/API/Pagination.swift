/// The `page` and `per_page` query parameters every paginated list takes (defaults 1 and 20, at most 100
/// a page), so the lists page alike.
struct Pagination: Sendable, Equatable {
    var page: Int
    var perPage: Int

    var offset: Int { (page - 1) * perPage }

    /// Nil after recording the problems in `validator` when either value is malformed or out of range.
    init?(query: [String: String], validator: inout Validator) {
        let page = query["page"].map { Int($0) } ?? 1
        let perPage = query["per_page"].map { Int($0) } ?? 20
        validator.require(page.map { $0 >= 1 } ?? false, "page must be an integer >= 1")
        validator.require(perPage.map { (1...100).contains($0) } ?? false, "per_page must be 1-100")
        guard let page, page >= 1, let perPage, (1...100).contains(perPage) else { return nil }
        self.page = page
        self.perPage = perPage
    }
}
