import Foundation
import Hummingbird

/// `POST/DELETE /api/mentors/{id}/follow` and `GET /api/me/follows` (`FollowService`).
struct FollowRoutes: Sendable {
    let services: ControlPlaneServices

    func register(on api: RouterGroup<AppRequestContext>) {
        let follows = FollowService(services: services)
        api.post("mentors/:id/follow") { _, context in
            let caller = try context.requireCaller()
            let mentorID = try context.parameters.require("id", as: Int64.self)
            return try await follows.setFollowing(true, mentorID: mentorID, callerID: caller.id)
        }
        api.delete("mentors/:id/follow") { _, context in
            let caller = try context.requireCaller()
            let mentorID = try context.parameters.require("id", as: Int64.self)
            return try await follows.setFollowing(false, mentorID: mentorID, callerID: caller.id)
        }
        api.get("me/follows") { _, context in
            let caller = try context.requireCaller()
            return try BookingRoutes.jsonResponse(try await follows.followedMentors(followerID: caller.id))
        }
    }
}
