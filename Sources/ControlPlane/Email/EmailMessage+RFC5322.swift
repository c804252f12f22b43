import Foundation

extension EmailMessage {
    /// An RFC 5322 message, as SMTP's DATA carries it and as a `.eml` file holds it: UTF-8 text body in
    /// base64 (no 8BITMIME needed), RFC 2047 encoded subject, no line break in any header value.
    func formatted(date: Date, messageID: String) -> String {
        let dateFormatter = DateFormatter()
        dateFormatter.locale = Locale(identifier: "en_US_POSIX")
        dateFormatter.timeZone = TimeZone(identifier: "UTC")
        dateFormatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        let subject = SMTPConversation.singleLine(subject)
        let encodedSubject = subject.allSatisfy(\.isASCII)
            ? subject : "=?UTF-8?B?\(Data(subject.utf8).base64EncodedString())?="
        let encodedBody = Data(body.utf8).base64EncodedString(
            options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
        return [
            "From: \(SMTPConversation.singleLine(from))",
            "To: \(SMTPConversation.singleLine(to))",
            "Subject: \(encodedSubject)",
            "Date: \(dateFormatter.string(from: date))",
            "Message-ID: <\(messageID)>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: base64",
            "",
            encodedBody,
        ].joined(separator: "\r\n") + "\r\n"
    }
}
