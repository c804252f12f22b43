import Synchronization

/// What ends a session's live room once the session is completed or cancelled. The control plane does not
/// know the relay or the room sockets: `serve` connects this to them after building them (they need the
/// services' keys and database first). Unconnected, as in the split deployment where the relay is another
/// process, it does nothing and the room lives on until its room tokens expire and its peers leave.
public final class SessionEndHook: Sendable {
    /// How the session ended.
    public enum Reason: String, Sendable, CaseIterable {
        case completed, cancelled
    }

    public typealias Handler = @Sendable (_ roomID: String, _ reason: Reason) async -> Void

    private let handler = Mutex<Handler?>(nil)

    public init() {}

    /// Sets the one handler (a later call replaces it).
    public func connect(_ handler: @escaping Handler) {
        self.handler.withLock { $0 = handler }
    }

    /// Runs the handler, if any. Called only after the transition's transaction has committed, so whatever
    /// the handler does (ending the room) cannot outlive a rolled-back transition, and admission already
    /// sees the session as not joinable.
    func sessionEnded(roomID: String, reason: Reason) async {
        guard let handler = handler.withLock({ $0 }) else { return }
        await handler(roomID, reason)
    }
}
