/// Why a session description was rejected, and on which line.
///
/// Typed so a caller (e.g. a WHIP/WHEP endpoint) can map it to a 400 response without string matching.
public struct SDPParseError: Error, Equatable, Sendable, CustomStringConvertible {
    /// 1-based line number; 0 when the input could not be split into lines at all.
    public var line: Int
    public var reason: Reason

    public init(line: Int, reason: Reason) {
        self.line = line
        self.reason = reason
    }

    public enum Reason: Equatable, Sendable {
        /// The bytes are not UTF-8 (RFC 8866 §5: the default charset is UTF-8).
        case invalidEncoding
        /// Not of the form `<type>=<value>` with a single lowercase letter as type (§5).
        case malformedLine
        /// A blank line between fields; the grammar has none.
        case emptyLine
        /// The description does not start with `v=` (§5.1).
        case missingVersion
        /// `v=` is not `0`.
        case unsupportedVersion(String)
        case missingOrigin
        case invalidOrigin
        case missingSessionName
        /// No `t=` line before the first `m=` line or the end (§5.9).
        case missingTiming
        case invalidTiming
        /// `r=` without a preceding `t=`.
        case invalidRepeat
        case invalidConnection
        case invalidBandwidth
        case invalidMediaLine
        /// A known attribute whose value does not match its grammar; carries the attribute name.
        case invalidAttribute(String)
        /// A known field type where the grammar does not allow it (wrong order or repeated).
        case unexpectedLine(Character)
        /// A field type RFC 8866 does not define; §5 says to reject the description.
        case unknownLineType(Character)
    }

    public var description: String { "SDP line \(line): \(reason)" }
}
