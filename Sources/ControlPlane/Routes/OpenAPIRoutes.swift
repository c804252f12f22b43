import Foundation
import Hummingbird

/// `GET /openapi.yaml`: the API description kept in the repository beside the code.
struct OpenAPIRoutes: Sendable {
    static let document: String? = Bundle.module.url(forResource: "openapi", withExtension: "yaml")
        .flatMap { try? String(contentsOf: $0, encoding: .utf8) }

    func register(on router: Router<AppRequestContext>) {
        router.get("openapi.yaml") { _, _ in
            guard let document = Self.document else { throw APIError.notFound("OpenAPI document") }
            return Response(status: .ok, headers: [.contentType: "application/yaml; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: document)))
        }
        router.get("health") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: "{\"status\":\"ok\"}")))
        }
    }
}
