import ControlPlane
import Foundation
import Hummingbird
import Testing

/// The OpenAPI document is served and names exactly the routes the router has.
@Suite struct OpenAPITests {
    /// `METHOD /path` for every operation in the document (a line scan: the file's layout is regular).
    static func operations(in yaml: String) -> Set<String> {
        var operations = Set<String>()
        var path: String?
        for line in yaml.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("  /"), line.hasSuffix(":"), !line.hasPrefix("   ") {
                path = String(line.dropFirst(2).dropLast())
            } else if line.hasPrefix("components:") {
                path = nil
            } else if let path, line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":") {
                let method = line.trimmingCharacters(in: .whitespaces).dropLast()
                if ["get", "post", "put", "patch", "delete"].contains(method) { operations.insert("\(method.uppercased()) \(path)") }
            }
        }
        return operations
    }

    @Test(arguments: TestBackend.all)
    func documentIsServedAndCoversEveryRoute(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let result = try await h.call(.get, "/openapi.yaml")
            #expect(result.status == .ok)
            #expect(result.headers[.contentType]?.hasPrefix("application/yaml") == true)
            #expect(result.raw.hasPrefix("openapi: 3.1.0"))
            let documented = Self.operations(in: result.raw)
            let routed = Set(ControlPlaneApplication.makeRouter(services: h.services).routes.map {
                "\($0.method) \($0.path)".replacingOccurrences(of: "//", with: "/")
            })
            #expect(routed.count >= 35, "\(routed.count) routes")
            #expect(routed.subtracting(documented).isEmpty, "undocumented: \(routed.subtracting(documented).sorted())")
            #expect(documented.subtracting(routed).isEmpty, "documented but not routed: \(documented.subtracting(routed).sorted())")
        }
    }
}
