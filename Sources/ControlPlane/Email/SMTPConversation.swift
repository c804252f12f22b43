import Foundation

/// The client side of one RFC 5321 mail transaction as a state machine: fed the server's reply lines, it
/// answers with the next command. No I/O, so every branch is testable with plain strings.
///
/// EHLO → MAIL FROM → RCPT TO → DATA → message → QUIT (RFC 5321 §3.3). Plain SMTP without AUTH or STARTTLS:
/// meant for a local relay (an MTA on the same host or network) that does the onward delivery.
struct SMTPConversation {
    enum Action: Equatable {
        /// Write these bytes (one command, or the message data).
        case send(String)
        /// The server accepted the message (the QUIT has been sent).
        case finished
        /// The server refused; the reason is its reply.
        case failed(String)
    }

    private enum Step { case greeting, ehlo, mailFrom, rcptTo, data, message, quit, done }

    private var step = Step.greeting
    private let message: EmailMessage
    private let heloName: String
    private let date: Date
    private let messageID: String

    init(message: EmailMessage, heloName: String, date: Date, messageID: String) {
        self.message = message
        self.heloName = heloName
        self.date = date
        self.messageID = messageID
    }

    /// Feeds one reply line (without CRLF). Nil while a multi-line reply continues (RFC 5321 §4.2.1).
    mutating func receive(line: String) -> Action? {
        let bytes = Array(line.utf8)
        guard bytes.count >= 3, let code = Int(String(decoding: bytes[0..<3], as: UTF8.self)) else {
            step = .done
            return .failed("malformed reply: \(line)")
        }
        if bytes.count > 3, bytes[3] == UInt8(ascii: "-") { return nil }
        switch (step, code) {
        case (.greeting, 220):
            step = .ehlo
            return .send("EHLO \(heloName)\r\n")
        case (.ehlo, 250):
            step = .mailFrom
            return .send("MAIL FROM:<\(Self.address(message.from))>\r\n")
        case (.mailFrom, 250):
            step = .rcptTo
            return .send("RCPT TO:<\(Self.address(message.to))>\r\n")
        case (.rcptTo, 250), (.rcptTo, 251):
            step = .data
            return .send("DATA\r\n")
        case (.data, 354):
            step = .message
            return .send(Self.dotStuffed(formatted()) + ".\r\n")
        case (.message, 250):
            step = .quit
            return .send("QUIT\r\n")
        case (.quit, _):
            // The message is accepted once the DATA reply was 250; the QUIT reply changes nothing.
            step = .done
            return .finished
        default:
            step = .done
            return .failed(line)
        }
    }

    /// The bare address of `Name <address>` or `address`.
    static func address(_ mailbox: String) -> String {
        if let open = mailbox.lastIndex(of: "<"), let close = mailbox.lastIndex(of: ">"), open < close {
            return String(mailbox[mailbox.index(after: open)..<close])
        }
        return mailbox
    }

    func formatted() -> String { message.formatted(date: date, messageID: messageID) }

    /// Header values must not carry line breaks (header injection).
    static func singleLine(_ text: String) -> String {
        text.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
    }

    /// RFC 5321 §4.5.2: a line starting with "." gets another, so it cannot end the data early.
    static func dotStuffed(_ text: String) -> String {
        text.split(separator: "\r\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix(".") ? "." + $0 : String($0) }
            .joined(separator: "\r\n")
    }
}
