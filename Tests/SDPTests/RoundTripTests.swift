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
