import FluentKit
import Foundation

/// Following mentors, and the caller's list of them. Followers hear about a mentor's newly scheduled
/// sessions (`SessionLifecycle`).
struct FollowService: Sendable {
    let services: ControlPlaneServices

    /// The active mentors the caller actively follows, by username; public profiles, so no emails.
    func followedMentors(followerID: Int64) async throws -> [UserResponse] {
        let mentors = try await User.query(on: services.db)
            .join(Follow.self, on: \Follow.$mentor.$id == \User.$id)
            .filter(Follow.self, \.$follower.$id == followerID)
            .filter(Follow.self, \.$isActive == true)
            .filter(\.$isActive == true)
            .sort(\.$username).all()
        return mentors.map { UserResponse($0, includePrivate: false) }
    }

    func setFollowing(_ following: Bool, mentorID: Int64, callerID: Int64) async throws -> FollowResponse {
        let db = services.db
        guard let mentor = try await User.find(mentorID, on: db), mentor.isActive else { throw APIError.notFound("mentor") }
        guard mentor.role == .mentor else { throw APIError.unprocessable("only mentors can be followed") }
        guard mentorID != callerID else { throw APIError.unprocessable("you cannot follow yourself") }
        let existing = try await Follow.query(on: db)
            .filter(\.$follower.$id == callerID).filter(\.$mentor.$id == mentorID).first()
        switch (existing, following) {
        case (nil, true):
            let follow = Follow()
            follow.$follower.id = callerID
            follow.$mentor.id = mentorID
            follow.isActive = true
            do {
                try await follow.create(on: db)
            } catch let error as any DatabaseError where error.isConstraintFailure {
                // A concurrent follow won the unique (follower, mentor) key: the outcome is the same.
            }
        case (let follow?, _):
            if follow.isActive != following {
                follow.isActive = following
                try await follow.save(on: db)
            }
        case (nil, false):
            throw APIError.notFound("follow")
        }
        let count = try await Follow.query(on: db).filter(\.$mentor.$id == mentorID).filter(\.$isActive == true).count()
        return FollowResponse(mentorId: mentorID, following: following, followerCount: count)
    }
}
