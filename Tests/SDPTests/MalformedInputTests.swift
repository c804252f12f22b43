import Testing

@testable import SDP

@Suite("Malformed input")
struct MalformedInputTests {
    static let minimal = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"

    func error(parsing text: String) -> SDPParseError? {
        do {
            _ = try SessionDescription(parsing: text)
            return nil
        } catch {
            return error
        }
    }

    @Test func minimalParses() throws {
        let description = try SessionDescription(parsing: Self.minimal)
        #expect(description.media.isEmpty)
        #expect(description.serialized() == Self.minimal)
    }

    @Test(arguments: [
        ("", SDPParseError(line: 1, reason: .missingVersion)),
        ("\r\n", SDPParseError(line: 1, reason: .missingVersion)),
        ("o=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n", SDPParseError(line: 1, reason: .missingVersion)),
        ("v=1\r\n", SDPParseError(line: 1, reason: .unsupportedVersion("1"))),
        ("v=0\r\n", SDPParseError(line: 2, reason: .missingOrigin)),
        ("v=0\r\ns=-\r\n", SDPParseError(line: 2, reason: .missingOrigin)),
        ("v=0\r\no=- 1\r\n", SDPParseError(line: 2, reason: .invalidOrigin)),
        ("v=0\r\no=- +1 1 IN IP4 0.0.0.0\r\n", SDPParseError(line: 2, reason: .invalidOrigin)),
        ("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n", SDPParseError(line: 3, reason: .missingSessionName)),
        ("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\n", SDPParseError(line: 4, reason: .missingTiming)),
        (
            "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nm=audio 9 RTP/AVP 0\r\n",
            SDPParseError(line: 4, reason: .missingTiming)
        ),
        ("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\na=ice-lite\r\n", SDPParseError(line: 4, reason: .missingTiming)),
        ("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0\r\n", SDPParseError(line: 4, reason: .invalidTiming)),
        ("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nr=1d 1h 0\r\n", SDPParseError(line: 4, reason: .invalidRepeat)),
        ("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nc=IN IP4\r\n", SDPParseError(line: 4, reason: .invalidConnection)),
        ("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nb=AS\r\n", SDPParseError(line: 4, reason: .invalidBandwidth)),
        ("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nx=1\r\n", SDPParseError(line: 4, reason: .unknownLineType("x"))),
        ("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nhello\r\n", SDPParseError(line: 4, reason: .malformedLine)),
        ("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nA=b\r\n", SDPParseError(line: 4, reason: .malformedLine)),
        ("v=0\r\n\r\no=- 1 1 IN IP4 0.0.0.0\r\n", SDPParseError(line: 2, reason: .emptyLine)),
        // Fields out of RFC 8866 §9 order, or repeated where they may not be.
        (
            "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nc=IN IP4 0.0.0.0\r\n",
            SDPParseError(line: 5, reason: .unexpectedLine("c"))
        ),
        (
            "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\ni=a\r\ni=b\r\n",
            SDPParseError(line: 5, reason: .unexpectedLine("i"))
        ),
        (
            "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\ns=-\r\n",
            SDPParseError(line: 5, reason: .unexpectedLine("s"))
        ),
        (
            "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nz=0 0\r\nr=1 1 1\r\n",
            SDPParseError(line: 6, reason: .invalidRepeat)
        ),
    ])
    func sessionLevelErrors(text: String, expected: SDPParseError) {
        #expect(error(parsing: text) == expected)
    }

    @Test(arguments: [
        "m=audio",
        "m=audio 9",
        "m=audio 9 UDP/TLS/RTP/SAVPF",
        "m=audio x UDP/TLS/RTP/SAVPF 111",
        "m=audio 65536 UDP/TLS/RTP/SAVPF 111",
        "m=audio 9/ UDP/TLS/RTP/SAVPF 111",
        "m=audio -9 UDP/TLS/RTP/SAVPF 111",
        "m=audio 9  UDP/TLS/RTP/SAVPF 111",
        "m=audio 9 UDP/TLS/RTP/SAVPF 111 ",
        "m= 9 UDP/TLS/RTP/SAVPF 111",
    ])
    func badMediaLines(line: String) {
        #expect(error(parsing: Self.minimal + line + "\r\n") == SDPParseError(line: 5, reason: .invalidMediaLine))
    }

    @Test func mediaLevelOrder() {
        let base = Self.minimal + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
        #expect(
            error(parsing: base + "a=mid:0\r\nc=IN IP4 0.0.0.0\r\n")
                == SDPParseError(line: 7, reason: .unexpectedLine("c")))
        #expect(error(parsing: base + "t=0 0\r\n") == SDPParseError(line: 6, reason: .unexpectedLine("t")))
        #expect(error(parsing: base + "c=IN IP4 0.0.0.0\r\nc=IN IP6 ::\r\n") == nil)
    }

    /// A known attribute whose value breaks its grammar is reported with its line number.
    @Test(arguments: [
        ("a=rtpmap:111 opus/48000/2", "a=rtpmap:111 opus", "rtpmap"),
        ("a=rtpmap:111 opus/48000/2", "a=rtpmap:opus 111/48000", "rtpmap"),
        ("a=fmtp:111 minptime=10;useinbandfec=1", "a=fmtp:111", "fmtp"),
        ("a=rtcp-fb:111 transport-cc", "a=rtcp-fb:111", "rtcp-fb"),
        ("a=setup:actpass", "a=setup:sideways", "setup"),
        ("a=mid:0", "a=mid:", "mid"),
        ("a=ice-ufrag:TwJO", "a=ice-ufrag", "ice-ufrag"),
        ("a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level", "a=extmap:one urn:x", "extmap"),
        ("a=ssrc:2749335565 cname:zVaKIdCmQWAoVUzv", "a=ssrc:cname", "ssrc"),
        ("a=group:BUNDLE 0 1", "a=group:", "group"),
        (
            "a=candidate:2168603958 1 udp 2122194687 127.0.0.1 39032 typ host generation 0 network-id 3 network-cost 50",
            "a=candidate:2168603958 1 udp 2122194687 127.0.0.1 39032 typ", "candidate"
        ),
    ])
    func invalidAttributeInFixture(original: String, replacement: String, name: String) throws {
        let text = try Fixture.text("chromium-sendrecv-offer")
        let lines = text.components(separatedBy: "\r\n")
        let index = try #require(lines.firstIndex(of: original))
        var broken = lines
        broken[index] = replacement
        #expect(
            error(parsing: broken.joined(separator: "\r\n"))
                == SDPParseError(line: index + 1, reason: .invalidAttribute(name)))
    }

    @Test func invalidUTF8() {
        var bytes = Array(Self.minimal.utf8)
        bytes.insert(0xFF, at: 5)
        #expect(throws: SDPParseError(line: 0, reason: .invalidEncoding)) {
            try SessionDescription(parsing: bytes)
        }
    }

    /// Cutting a real offer anywhere must give either a description or a typed error, never a trap,
    /// and an error's line must exist in the truncated text. Cuts land around every line break (where
    /// CR/LF handling matters) and at a stride through every line's body.
    @Test(arguments: ["chromium-sendrecv-offer", "firefox52-offer", "aiortc-offer"])
    func everyTruncationIsHandled(name: String) throws {
        let bytes = Array(try Fixture.text(name).utf8)
        var cuts = Set(stride(from: 0, to: bytes.count, by: 5))
        for (offset, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") {
            cuts.formUnion((offset - 2)...(offset + 2))
        }
        var failures = 0
        for length in cuts.sorted() where length >= 0 && length <= bytes.count {
            let prefix = bytes[..<length]
            if let error = error(parsing: String(decoding: prefix, as: UTF8.self)) {
                failures += 1
                let lineCount = prefix.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).count
                #expect(error.line >= 1 && error.line <= lineCount + 1, "\(length): \(error)")
            }
        }
        #expect(failures > 0)
    }

    @Test func truncatedMidAttribute() throws {
        let text = try Fixture.text("chromium-sendrecv-offer")
        let cut = try #require(text.range(of: "a=fingerprint:sha-256 B8:3B:5"))
        let error = error(parsing: String(text[..<cut.upperBound]))
        #expect(error?.reason == .invalidAttribute("fingerprint"))
        #expect(error?.line == text[..<cut.lowerBound].utf8.count { $0 == UInt8(ascii: "\n") } + 1)
    }

    /// Deterministic garbage: random bytes and random single-byte corruptions of a real offer.
    @Test func garbageNeverTraps() throws {
        var rng = SplitMix64(seed: 0x5D9_2026)
        let offer = Array(try Fixture.text("chromium-simulcast-offer").utf8)
        var parsed = 0
        for round in 0..<600 {
            var bytes: [UInt8]
            if round.isMultiple(of: 2) {
                bytes = (0..<Int(rng.next() % 300)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            } else {
                bytes = offer
                for _ in 0..<(1 + Int(rng.next() % 4)) {
                    bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next())
                }
            }
            do {
                let description = try SessionDescription(parsing: bytes)
                parsed += 1
                // Whatever parses must survive its own round trip.
                #expect(try SessionDescription(parsing: description.serialized()) == description)
            } catch {
                #expect(error.line >= 0)
            }
        }
        #expect(parsed > 0)
    }
}

/// Small seeded generator so the garbage test is reproducible.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
