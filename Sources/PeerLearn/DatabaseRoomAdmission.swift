import ControlPlane
import FluentKit
import RoomToken
import Signaling

/// Admission when the control plane shares the process: the token's account must still be active (a
/// deactivated user's room token stops at once, like its access token), the session must still be
/// scheduled or active, a learner's booking must still be confirmed, and the room holds its seats plus
/// the host.
struct DatabaseRoomAdmission: RoomAdmission {
    let database: any Database

    func admit(_ claims: RoomClaims) async throws(AdmissionRefusal) -> Int? {
        let session: LearningSession?
        do {
            session = try await LearningSession.query(on: database).filter(\.$meetingRoomID == claims.roomID).first()
        } catch {
            throw .notJoinable("the session could not be read: \(error)")
        }
        guard let session, let sessionID = session.id else { throw .notJoinable("no session has this room") }
        guard let userID = claims.userID, let user = try? await User.find(userID, on: database), user.isActive else {
            throw .forbidden("this account is not active")
        }
        guard session.status == .scheduled || session.status == .active else {
            throw .notJoinable("the session is \(session.status.rawValue)")
        }
        if claims.role == .participant {
            guard (try? await Booking.query(on: database).filter(\.$session.$id == sessionID)
                    .filter(\.$learner.$id == userID).filter(\.$status == .confirmed).first()) != nil
            else { throw .forbidden("no confirmed booking for this session") }
        }
        return session.maxParticipants + 1
    }
}
