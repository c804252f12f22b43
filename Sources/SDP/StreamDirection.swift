/// The `send` / `recv` token of `a=rid` (RFC 8851 §10) and `a=simulcast` (RFC 8853 §5.1).
public enum StreamDirection: String, CaseIterable, Sendable {
    case send
    case recv

    /// The direction the answerer writes for an offered one (RFC 8853 §5.3.2: send becomes recv).
    public var reversed: StreamDirection { self == .send ? .recv : .send }
}
