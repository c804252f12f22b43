import Foundation
import Testing

@testable import SDP

@Suite("Round trip of real captures")
struct RoundTripTests {
    @Test(arguments: Fixture.all)
    func serializesByteIdentically(name: String) throws {
        let text = try Fixture.text(name)
        let description = try SessionDescription(parsing: text)
        #expect(description.serialized() == crlf(text))
    }

    @Test(arguments: Fixture.all)
    func reparsesEqual(name: String) throws {
        let description = try Fixture.parsed(name)
        #expect(try SessionDescription(parsing: description.serialized()) == description)
    }

    @Test(arguments: Fixture.all)
    func parsesFromBytes(name: String) throws {
        let text = try Fixture.text(name)
        #expect(try SessionDescription(parsing: Array(text.utf8)) == SessionDescription(parsing: text))
    }

    /// The Firefox capture uses LF endings; parsing the CRLF form must give the same value.
    @Test func lineFeedAndCRLFParseTheSame() throws {
        let lf = try Fixture.text("firefox52-offer")
        #expect(!lf.contains("\r"))
        #expect(try SessionDescription(parsing: lf) == SessionDescription(parsing: crlf(lf)))
    }

    /// Every typed view the module offers re-serializes to the exact attribute text it came from.
    @Test(arguments: Fixture.all)
    func typedViewsReserializeVerbatim(name: String) throws {
        let description = try Fixture.parsed(name)
        let all = description.attributes + description.media.flatMap(\.attributes)
        var checked = 0
        func check<Value: SDPAttributeValue>(_: Value.Type) {
            for attribute in all where attribute.name == Value.attributeName {
                let typed = attribute.typed(as: Value.self)
                #expect(typed?.attributeValue == attribute.value, "\(attribute)")
                checked += 1
            }
        }
        check(RTPMap.self)
        check(FormatParameters.self)
        check(RTCPFeedback.self)
        check(ExtensionMap.self)
        check(Fingerprint.self)
        check(SetupRole.self)
        check(Candidate.self)
        check(Group.self)
        check(MediaStreamID.self)
        check(SSRCAttribute.self)
        check(SSRCGroup.self)
        check(RID.self)
        check(Simulcast.self)
        #expect(checked >= 3)
    }
}

@Suite("RFC 8866 examples")
struct RFC8866ExampleTests {
    /// The example description of RFC 8866 §5.
    static let example = """
        v=0
        o=jdoe 3724394400 3724394405 IN IP4 198.51.100.1
        s=Call to John Smith
        i=SDP Offer #1
        u=http://www.jdoe.example.com/home.html
        e=Jane Doe <jane@jdoe.example.com>
        p=+1 617 555-6011
        c=IN IP4 198.51.100.1
        t=0 0
        m=audio 49170 RTP/AVP 0
        m=audio 49180 RTP/AVP 0
        m=video 51372 RTP/AVP 99
        c=IN IP6 2001:db8::2
        a=rtpmap:99 h263-1998/90000

        """

    @Test func parsesSection5Example() throws {
        let description = try SessionDescription(parsing: Self.example)
        #expect(description.origin.username == "jdoe")
        #expect(description.origin.sessionVersion == 3_724_394_405)
        #expect(description.sessionName == "Call to John Smith")
        #expect(description.information == "SDP Offer #1")
        #expect(description.uri == "http://www.jdoe.example.com/home.html")
        #expect(description.emails == ["Jane Doe <jane@jdoe.example.com>"])
        #expect(description.phones == ["+1 617 555-6011"])
        #expect(description.connection?.address == "198.51.100.1")
        #expect(description.media.map(\.port) == [49170, 49180, 51372])
        #expect(description.media.map(\.proto) == ["RTP/AVP", "RTP/AVP", "RTP/AVP"])
        #expect(description.media[0].connections.isEmpty)
        #expect(description.media[2].connection == Connection(addressType: "IP6", address: "2001:db8::2"))
        #expect(description.media[2].rtpMap(for: 99)?.encodingName == "h263-1998")
        #expect(description.media.map { description.direction(of: $0) } == [.sendrecv, .sendrecv, .sendrecv])
        #expect(description.serialized() == crlf(Self.example))
    }

    /// RFC 8866 §9 puts `z=` inside each time description, RFC 4566 after all of them; both parse
    /// and round-trip, with the zone attached to the preceding `t=`.
    @Test func timeDescriptionsWithRepeatsAndZones() throws {
        let text = """
            v=0\r
            o=- 1 1 IN IP4 0.0.0.0\r
            s=-\r
            b=AS:512\r
            t=3724394400 3724398000\r
            r=604800 3600 0 90000\r
            r=7d 1h 0 25h\r
            z=3730928400 -1h 3749680800 0\r
            t=0 0\r
            z=2882844526 -1h\r
            k=prompt\r
            a=recvonly\r

            """
        let description = try SessionDescription(parsing: text)
        #expect(description.bandwidths == [Bandwidth(type: "AS", value: 512)])
        #expect(description.timing.count == 2)
        #expect(description.timing[0].start == 3_724_394_400)
        #expect(description.timing[0].repeats == ["604800 3600 0 90000", "7d 1h 0 25h"])
        #expect(description.timing[0].zoneAdjustments == "3730928400 -1h 3749680800 0")
        #expect(description.timing[1].zoneAdjustments == "2882844526 -1h")
        #expect(description.encryptionKey == "prompt")
        #expect(description.direction == .recvonly)
        #expect(description.serialized() == text)
    }
}
