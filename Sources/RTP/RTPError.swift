/// Why an RTP packet could not be parsed, built or edited.
///
/// A plain enum so it can be thrown with typed throws: a malformed packet on the hot path costs
/// no existential box and no allocation.
public enum RTPError: Error, Sendable, Equatable, Hashable {
    /// The buffer ends before a length the header promised (fixed header, CSRCs, extension).
    case truncated
    /// The version field is not 2 (RFC 3550 §5.1).
    case unsupportedVersion(UInt8)
    /// The P bit is set but the padding count is zero or covers bytes of the header
    /// (RFC 3550 §5.1: the count includes itself and lies within the payload area).
    case invalidPadding
    /// A destination buffer is too small for what is to be written.
    case bufferTooSmall
    /// A payload type above 127 was given for serialization.
    case invalidPayloadType
    /// More than 15 CSRCs were given for serialization (the CC field is 4 bits).
    case tooManyCSRCs
    /// An extension element ID of 0 was given (reserved for padding, RFC 8285 §4.2, §4.3).
    case invalidExtensionID
    /// An extension element value longer than 255 bytes, or a whole extension block longer than
    /// the 16-bit word count allows.
    case extensionTooLong
    /// The packet carries no RFC 8285 extension element with the requested ID.
    case extensionNotFound
    /// An in-place overwrite would change an element's length, which would shift the payload.
    case extensionLengthMismatch
}
