import Foundation
import Hummingbird

/// `POST /api/auth/register` and `/api/auth/login` (`AccountService`).
struct AuthRoutes: Sendable {
    let services: ControlPlaneServices

    func register(on api: RouterGroup<AppRequestContext>) {
        let accounts = AccountService(services: services)
        api.post("auth/register") { request, context in
            let input = try await request.decode(as: AccountService.Registration.self, context: context)
            return EditedResponse(status: .created, response: try await accounts.register(input))
        }
        api.post("auth/login") { request, context in
            try await accounts.login(try await request.decode(as: AccountService.Login.self, context: context))
        }
    }
}
