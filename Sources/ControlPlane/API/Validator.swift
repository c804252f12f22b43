import Foundation

/// Collects every problem with an input before answering, so a client fixes its form in one round trip
/// (the seed's "Display error messages → Return to form").
struct Validator {
    private(set) var problems: [String] = []

    mutating func require(_ condition: Bool, _ problem: @autoclosure () -> String) {
        if !condition { problems.append(problem()) }
    }

    /// Throws 422 listing every problem, if there are any.
    func check() throws {
        if !problems.isEmpty { throw APIError.unprocessable(problems.joined(separator: "; ")) }
    }

    static func isEmail(_ text: String) -> Bool {
        // Deliberately simple (local@domain.tld, no spaces): real verification is the welcome email reaching it.
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard text.count <= 254, parts.count == 2, !parts[0].isEmpty, parts[0].count <= 64 else { return false }
        let domain = parts[1]
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, labels.allSatisfy({ !$0.isEmpty && $0.count <= 63 }) else { return false }
        let allowedLocal = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "!#$%&'*+/=?^_`{|}~.-"))
        let allowedDomain = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-."))
        return parts[0].unicodeScalars.allSatisfy { $0.isASCII && allowedLocal.contains($0) }
            && domain.unicodeScalars.allSatisfy { $0.isASCII && allowedDomain.contains($0) }
    }

    /// Django's username alphabet: letters, digits and @ . + - _.
    static func isUsername(_ text: String) -> Bool {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "@.+-_"))
        return (3...150).contains(text.count) && text.unicodeScalars.allSatisfy { $0.isASCII && allowed.contains($0) }
    }

    /// Password strength: the problems with `password`, empty if it is acceptable.
    static func passwordProblems(_ password: String, username: String, email: String) -> [String] {
        var problems: [String] = []
        if password.count < 8 { problems.append("password must be at least 8 characters") }
        if password.count > 72 { problems.append("password must be at most 72 characters") }  // bcrypt's input limit
        if !password.contains(where: \.isLetter) { problems.append("password must contain a letter") }
        if !password.contains(where: \.isNumber) { problems.append("password must contain a digit") }
        let lowered = password.lowercased()
        if !username.isEmpty, lowered.contains(username.lowercased()) { problems.append("password must not contain the username") }
        if let local = email.split(separator: "@").first, local.count >= 3, lowered.contains(local.lowercased()) {
            problems.append("password must not contain the email address")
        }
        return problems
    }

    /// Trimmed, non-empty, de-duplicated tags, each at most 50 characters; nil if any is too long.
    static func tags(_ values: [String]?) -> [String]? {
        guard let values else { return [] }
        var seen = Set<String>()
        var result: [String] = []
        for value in values {
            let tag = value.trimmingCharacters(in: .whitespacesAndNewlines)
            guard tag.count <= 50 else { return nil }
            if !tag.isEmpty, seen.insert(tag.lowercased()).inserted { result.append(tag) }
        }
        return result.count <= 50 ? result : nil
    }
}
