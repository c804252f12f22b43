/// Why a room's session ended, as the `session-ended` message's `reason` says it.
public enum SessionEndReason: String, Sendable, CaseIterable {
    case completed, cancelled
}
