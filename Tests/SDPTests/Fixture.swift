import Foundation
import Testing

@testable import SDP

/// Loads a committed capture from `Fixtures/` byte-for-byte.
enum Fixture {
    static let all = [
        "chromium-sendrecv-offer", "chromium-recvonly-offer", "chromium-simulcast-offer",
        "chromium-datachannel-offer", "chromium-sendrecv-answer", "aiortc-offer", "aiortc-answer",
        "firefox52-offer",
    ]

    static func text(_ name: String) throws -> String {
        let url = try #require(
            Bundle.module.url(forResource: name, withExtension: "sdp", subdirectory: "Fixtures"),
            "missing fixture \(name).sdp")
        return String(decoding: try Data(contentsOf: url), as: UTF8.self)
    }

    static func parsed(_ name: String) throws -> SessionDescription {
        try SessionDescription(parsing: text(name))
    }
}

/// The fixture's text with every line ending normalised to CRLF, which is what serialization emits.
func crlf(_ text: String) -> String {
    text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\n", with: "\r\n")
}
