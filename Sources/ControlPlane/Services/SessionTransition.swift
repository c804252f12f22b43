/// The status transitions of a session (the path segment of `POST /api/sessions/{id}/{transition}`).
enum SessionTransition: String, CaseIterable, Sendable {
    case schedule, start, complete, cancel

    /// draft → scheduled → active → completed; cancel from draft or scheduled.
    var allowedFrom: [SessionStatus] {
        switch self {
        case .schedule: [.draft]
        case .start: [.scheduled]
        case .complete: [.active]
        case .cancel: [.draft, .scheduled]
        }
    }

    /// The transitions that end the session's room, and how they say it.
    var endsRoom: SessionEndHook.Reason? {
        switch self {
        case .complete: .completed
        case .cancel: .cancelled
        case .schedule, .start: nil
        }
    }

    var target: SessionStatus {
        switch self {
        case .schedule: .scheduled
        case .start: .active
        case .complete: .completed
        case .cancel: .cancelled
        }
    }
}
