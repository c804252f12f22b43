/// Line-by-line parser enforcing the field order of RFC 8866 §9.
///
/// Order is enforced (as Pion does) rather than repaired: it is what lets each field live in a typed
/// slot and still serialize back to the exact input.
enum SDPParser {
    struct Line {
        var number: Int
        var type: Character
        var value: Substring
    }

    static func parse(_ text: String) throws(SDPParseError) -> SessionDescription {
        let lines = try split(text)
        var cursor = 0

        func error(_ reason: SDPParseError.Reason, at line: Line) -> SDPParseError {
            SDPParseError(line: line.number, reason: reason)
        }

        // v=, o=, s= open every description, in that order (§5).
        guard let versionLine = lines.first, versionLine.type == "v" else {
            throw SDPParseError(line: 1, reason: .missingVersion)
        }
        guard versionLine.value == "0" else {
            throw error(.unsupportedVersion(String(versionLine.value)), at: versionLine)
        }
        guard lines.count > 1, lines[1].type == "o" else {
            throw SDPParseError(line: 2, reason: .missingOrigin)
        }
        guard let origin = Origin(fieldValue: lines[1].value) else { throw error(.invalidOrigin, at: lines[1]) }
        guard lines.count > 2, lines[2].type == "s" else {
            throw SDPParseError(line: 3, reason: .missingSessionName)
        }
        var session = SessionDescription(origin: origin, sessionName: String(lines[2].value), timing: [])
        cursor = 3

        // Session-level fields: i u e* p* c b* (t r* z)+ k a* (§9 `session-description`).
        var rank = 0
        while cursor < lines.count, lines[cursor].type != "m" {
            let line = lines[cursor]
            cursor += 1
            let (order, repeatable) = try sessionOrder(line)
            guard order > rank || (repeatable && order == rank) else {
                throw error(.unexpectedLine(line.type), at: line)
            }
            if order > 7, session.timing.isEmpty { throw error(.missingTiming, at: line) }
            rank = order
            switch line.type {
            case "i": session.information = String(line.value)
            case "u": session.uri = String(line.value)
            case "e": session.emails.append(String(line.value))
            case "p": session.phones.append(String(line.value))
            case "c":
                guard let connection = Connection(fieldValue: line.value) else {
                    throw error(.invalidConnection, at: line)
                }
                session.connection = connection
            case "b":
                guard let bandwidth = Bandwidth(fieldValue: line.value) else {
                    throw error(.invalidBandwidth, at: line)
                }
                session.bandwidths.append(bandwidth)
            case "t":
                guard let timing = Timing(fieldValue: line.value) else { throw error(.invalidTiming, at: line) }
                session.timing.append(timing)
            case "r":
                guard let last = session.timing.last, last.zoneAdjustments == nil, !line.value.isEmpty else {
                    throw error(.invalidRepeat, at: line)
                }
                session.timing[session.timing.count - 1].repeats.append(String(line.value))
            case "z":
                guard let last = session.timing.last, last.zoneAdjustments == nil else {
                    throw error(.unexpectedLine("z"), at: line)
                }
                session.timing[session.timing.count - 1].zoneAdjustments = String(line.value)
            case "k": session.encryptionKey = String(line.value)
            default: session.attributes.append(try attribute(line))
            }
        }
        guard !session.timing.isEmpty else {
            throw SDPParseError(
                line: cursor < lines.count ? lines[cursor].number : lines.count + 1, reason: .missingTiming)
        }

        // Media sections: m i c* b* k a* (§9 `media-description`).
        while cursor < lines.count {
            let mediaLine = lines[cursor]
            cursor += 1
            guard var section = MediaDescription(mediaLine: mediaLine.value) else {
                throw error(.invalidMediaLine, at: mediaLine)
            }
            rank = 0
            while cursor < lines.count, lines[cursor].type != "m" {
                let line = lines[cursor]
                cursor += 1
                let (order, repeatable) = try mediaOrder(line)
                guard order > rank || (repeatable && order == rank) else {
                    throw error(.unexpectedLine(line.type), at: line)
                }
                rank = order
                switch line.type {
                case "i": section.information = String(line.value)
                case "c":
                    guard let connection = Connection(fieldValue: line.value) else {
                        throw error(.invalidConnection, at: line)
                    }
                    section.connections.append(connection)
                case "b":
                    guard let bandwidth = Bandwidth(fieldValue: line.value) else {
                        throw error(.invalidBandwidth, at: line)
                    }
                    section.bandwidths.append(bandwidth)
                case "k": section.encryptionKey = String(line.value)
                default: section.attributes.append(try attribute(line))
                }
            }
            session.media.append(section)
        }
        return session
    }

    /// Position of a field in the session-level grammar and whether it may repeat.
    private static func sessionOrder(_ line: Line) throws(SDPParseError) -> (Int, Bool) {
        switch line.type {
        case "i": (1, false)
        case "u": (2, false)
        case "e": (3, true)
        case "p": (4, true)
        case "c": (5, false)
        case "b": (6, true)
        case "t", "r", "z": (7, true)
        case "k": (9, false)
        case "a": (10, true)
        case "v", "o", "s": throw SDPParseError(line: line.number, reason: .unexpectedLine(line.type))
        default: throw SDPParseError(line: line.number, reason: .unknownLineType(line.type))
        }
    }

    private static func mediaOrder(_ line: Line) throws(SDPParseError) -> (Int, Bool) {
        switch line.type {
        case "i": (1, false)
        case "c": (2, true)
        case "b": (3, true)
        case "k": (4, false)
        case "a": (5, true)
        case "v", "o", "s", "u", "e", "p", "t", "r", "z":
            throw SDPParseError(line: line.number, reason: .unexpectedLine(line.type))
        default: throw SDPParseError(line: line.number, reason: .unknownLineType(line.type))
        }
    }

    /// Parses an `a=` line and validates the attributes this module has typed views for, so a bad
    /// `rtpmap` is reported with its line number instead of silently vanishing from `rtpMaps`.
    private static func attribute(_ line: Line) throws(SDPParseError) -> Attribute {
        let attribute = Attribute(fieldValue: line.value)
        guard !attribute.name.isEmpty, isValid(attribute) else {
            throw SDPParseError(line: line.number, reason: .invalidAttribute(attribute.name))
        }
        return attribute
    }

    static func isValid(_ attribute: Attribute) -> Bool {
        func check<Value: SDPAttributeValue>(_: Value.Type) -> Bool {
            attribute.typed(as: Value.self) != nil
        }
        switch attribute.name {
        case RTPMap.attributeName: return check(RTPMap.self)
        case FormatParameters.attributeName: return check(FormatParameters.self)
        case RTCPFeedback.attributeName: return check(RTCPFeedback.self)
        case ExtensionMap.attributeName: return check(ExtensionMap.self)
        case Fingerprint.attributeName: return check(Fingerprint.self)
        case SetupRole.attributeName: return check(SetupRole.self)
        case Candidate.attributeName: return check(Candidate.self)
        case Group.attributeName: return check(Group.self)
        case MediaStreamID.attributeName: return check(MediaStreamID.self)
        case SSRCAttribute.attributeName: return check(SSRCAttribute.self)
        case SSRCGroup.attributeName: return check(SSRCGroup.self)
        case RID.attributeName: return check(RID.self)
        case Simulcast.attributeName: return check(Simulcast.self)
        case "sctp-port": return attribute.value.flatMap { UInt16(sdpDecimal: Substring($0)) } != nil
        case "mid", "ice-ufrag", "ice-pwd", "ice-options":
            return attribute.value.map { !$0.isEmpty && !$0.hasPrefix(" ") } ?? false
        default: return true
        }
    }

    /// Splits on LF, dropping one CR before it; every line must be `<letter>=<value>` (§5).
    /// Blank lines are rejected except at the very end, where trailing newlines are harmless.
    private static func split(_ text: String) throws(SDPParseError) -> [Line] {
        let utf8 = text.utf8
        var lines: [Line] = []
        var start = utf8.startIndex
        var number = 0
        var firstBlank: Int?
        while start < utf8.endIndex {
            var newline = start
            while newline < utf8.endIndex, utf8[newline] != UInt8(ascii: "\n") { newline = utf8.index(after: newline) }
            var end = newline
            if end > start, utf8[utf8.index(before: end)] == UInt8(ascii: "\r") { end = utf8.index(before: end) }
            number += 1
            let bytes = utf8[start..<end]
            start = newline == utf8.endIndex ? newline : utf8.index(after: newline)
            if bytes.isEmpty {
                if firstBlank == nil { firstBlank = number }
                continue
            }
            if let blank = firstBlank { throw SDPParseError(line: blank, reason: .emptyLine) }
            guard bytes.count >= 2, let type = bytes.first, type >= UInt8(ascii: "a"), type <= UInt8(ascii: "z"),
                bytes[bytes.index(after: bytes.startIndex)] == UInt8(ascii: "=")
            else { throw SDPParseError(line: number, reason: .malformedLine) }
            lines.append(
                Line(number: number, type: Character(Unicode.Scalar(type)), value: Substring(bytes.dropFirst(2))))
        }
        return lines
    }
}
