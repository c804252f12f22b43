import Foundation

/// Where mail goes when no SMTP relay is configured: one `.eml` file per message (RFC 5322, what any
/// mail client opens) in `<data directory>/mail`, so a developer can read the welcome and confirmation
/// emails of the seed's flows in a browser (`GET /dev/mail`) instead of guessing from the outbox table.
/// The outbox dispatcher delivers here exactly as it would over SMTP: claimed, written, marked sent.
public struct MailDirectory: EmailTransport {
    /// One message as the development page lists it.
    public struct Entry: Codable, Sendable, Equatable {
        public var name: String
        public var to: String
        public var subject: String
        public var date: String
        public var body: String
    }

    public let directory: URL
    /// The page lists the newest this many; older files stay on disk.
    static let listed = 200

    public init(directory: String) {
        self.directory = URL(fileURLWithPath: directory, isDirectory: true)
    }

    /// Written to a temporary name and renamed, so the page never lists half a message.
    public func send(_ message: EmailMessage) async throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let now = Date()
        let stamp = Int64((now.timeIntervalSince1970 * 1_000).rounded())
        let id = UUID().uuidString.lowercased()
        let name = "\(stamp)-\(id.prefix(8)).eml"
        let text = message.formatted(date: now, messageID: "\(id)@peerlearn.local")
        try Data(text.utf8).write(to: directory.appendingPathComponent(name), options: .atomic)
    }

    /// The newest messages first.
    public func list() -> [Entry] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter(Self.isMessageName).sorted(by: >).prefix(Self.listed).compactMap(read)
    }

    /// One message by its file name; nil for anything but a name this directory could have written.
    public func read(_ name: String) -> Entry? {
        guard Self.isMessageName(name),
            let data = FileManager.default.contents(atPath: directory.appendingPathComponent(name).path),
            let text = String(data: data, encoding: .utf8)
        else { return nil }
        return Self.parse(text, name: name)
    }

    /// `<digits>-<hex>.eml` only: no path separators, no dots beyond the extension.
    static func isMessageName(_ name: String) -> Bool {
        guard name.hasSuffix(".eml"), name.count <= 64 else { return false }
        let stem = name.dropLast(4)
        return !stem.isEmpty && stem.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
    }

    /// The headers the page shows and the body decoded (the inverse of `EmailMessage.formatted`).
    static func parse(_ text: String, name: String) -> Entry {
        let parts = text.components(separatedBy: "\r\n\r\n")
        var headers: [String: String] = [:]
        for line in (parts.first ?? "").components(separatedBy: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let encoded = parts.dropFirst().joined(separator: "\r\n\r\n").replacingOccurrences(of: "\r\n", with: "")
        let body = Data(base64Encoded: encoded).flatMap { String(data: $0, encoding: .utf8) } ?? encoded
        return Entry(
            name: name, to: headers["to"] ?? "", subject: decodedSubject(headers["subject"] ?? ""),
            date: headers["date"] ?? "", body: body)
    }

    private static func decodedSubject(_ subject: String) -> String {
        guard subject.hasPrefix("=?UTF-8?B?"), subject.hasSuffix("?=") else { return subject }
        let encoded = subject.dropFirst(10).dropLast(2)
        return Data(base64Encoded: String(encoded)).flatMap { String(data: $0, encoding: .utf8) } ?? subject
    }
}
