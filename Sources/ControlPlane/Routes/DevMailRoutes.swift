import Foundation
import Hummingbird

/// The development mail page: with no SMTP relay configured, every email the flows send is a `.eml` file
/// (`MailDirectory`) and `GET /dev/mail` lists them, newest first (`/dev/mail.json` for scripts, one
/// message at `/dev/mail/{name}`). Not registered when SMTP is configured: real mail is not shown to
/// whoever can reach the server.
struct DevMailRoutes: Sendable {
    let mail: MailDirectory

    func register(on router: Router<AppRequestContext>) {
        router.get("dev/mail") { _, _ in
            Self.html(Self.page(self.mail.list()))
        }
        router.get("dev/mail.json") { _, _ in
            try BookingRoutes.jsonResponse(self.mail.list())
        }
        router.get("dev/mail/:name") { _, context in
            guard let name = context.parameters.get("name"), let entry = self.mail.read(name) else {
                throw APIError.notFound("message")
            }
            return Self.html(Self.page(entry))
        }
    }

    private static func html(_ body: String) -> Response {
        Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    private static func page(_ entries: [MailDirectory.Entry]) -> String {
        let rows = entries.map { entry in
            "<tr><td>\(escape(entry.date))</td><td>\(escape(entry.to))</td>"
                + "<td><a href=\"/dev/mail/\(escape(entry.name))\">\(escape(entry.subject))</a></td></tr>"
        }
        return document(title: "Outgoing mail", content: entries.isEmpty
            ? "<p>No mail yet. Everything the server sends while no SMTP relay is configured appears here.</p>"
            : "<table><tr><th>Date</th><th>To</th><th>Subject</th></tr>\(rows.joined())</table>")
    }

    private static func page(_ entry: MailDirectory.Entry) -> String {
        document(title: entry.subject, content: """
            <p><a href="/dev/mail">All mail</a></p>
            <dl><dt>To</dt><dd>\(escape(entry.to))</dd><dt>Date</dt><dd>\(escape(entry.date))</dd></dl>
            <pre>\(escape(entry.body))</pre>
            """)
    }

    private static func document(title: String, content: String) -> String {
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>\(escape(title))</title></head>"
            + "<body><h1>\(escape(title))</h1>\(content)</body></html>"
    }

    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
