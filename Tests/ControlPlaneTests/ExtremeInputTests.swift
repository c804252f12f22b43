import ControlPlane
import Foundation
import Hummingbird
import Testing

/// Issue 10 point 1: no value a stranger puts in a query, path, header or JSON number may trap the process.
/// The parameters come from the served `/openapi.yaml`, so a newly documented one is covered automatically.
@Suite struct ExtremeInputTests {
    /// The values a scanner or a fuzzer tries first.
    static let extremes = [
        "9223372036854775807", "-9223372036854775808", "-1", "0", "12345678901234567890", "1e400", "abc", "",
        "4611686018427387905",
    ]

    /// One documented parameter: where it goes and what its schema says is valid.
    struct Parameter: CustomStringConvertible {
        var name: String
        var location: String
        var type: String?
        var format: String?
        var minimum: Int64?
        var maximum: Int64?
        var enumeration: [String]?

        var description: String { "\(location) \(name)" }

        /// Whether the server must accept `value` (else it must answer 4xx).
        func accepts(_ value: String) -> Bool {
            if let enumeration { return enumeration.contains(value) }
            switch type {
            case "integer":
                guard let number = Int64(value) else { return false }
                return number >= (minimum ?? .min) && number <= (maximum ?? .max)
            case "boolean": return value == "true" || value == "false"
            case "string" where format == "date-time": return (try? Date(value, strategy: .iso8601)) != nil
            case "string" where format == "uuid": return UUID(uuidString: value) != nil
            default: return true
            }
        }
    }

    struct Operation: CustomStringConvertible {
        var method: String
        var path: String
        var parameters: [Parameter]
        var description: String { "\(method.uppercased()) \(path)" }
    }

    /// Reads one parameter from its YAML text (a flow map `{ name: x, in: query, schema: {...} }` or a block).
    static func parameter(from text: String) -> Parameter? {
        func capture(_ pattern: String) -> String? {
            guard let regex = try? Regex(pattern), let match = text.firstMatch(of: regex), match.count > 1,
                  let range = match[1].range else { return nil }
            return String(text[range]).trimmingCharacters(in: .whitespaces)
        }
        guard let name = capture(#"name:\s*([^,\s}]+)"#), let location = capture(#"\bin:\s*(\w+)"#) else { return nil }
        return Parameter(
            name: name, location: location, type: capture(#"type:\s*(\w+)"#), format: capture(#"format:\s*([\w-]+)"#),
            minimum: capture(#"minimum:\s*(-?\d+)"#).flatMap { Int64($0) },
            maximum: capture(#"maximum:\s*(-?\d+)"#).flatMap { Int64($0) },
            enumeration: capture(#"enum:\s*\[([^\]]*)\]"#).map {
                $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            })
    }

    /// Every operation with its parameters (path-level and operation-level, `$ref`s resolved). A line scan:
    /// the document's layout is regular (paths at 2 spaces, methods at 4, parameter items as `- `).
    static func operations(in yaml: String) -> [Operation] {
        let lines = yaml.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        func indent(_ line: String) -> Int { line.prefix(while: { $0 == " " }).count }

        // components.parameters: name → the text of its block.
        var components: [String: String] = [:]
        if let start = lines.firstIndex(of: "components:"),
           let list = lines[start...].firstIndex(of: "  parameters:") {
            var current: String?
            for line in lines[(list + 1)...] {
                if !line.isEmpty, indent(line) <= 2 { break }
                if indent(line) == 4, line.hasSuffix(":") {
                    current = line.trimmingCharacters(in: .whitespaces).dropLast().description
                    components[current!] = ""
                } else if let current { components[current]! += line + "\n" }
            }
        }

        var operations: [Operation] = []
        var path: String?
        var pathParameters: [Parameter] = []
        var method: String?
        var methodParameters: [Parameter] = []
        var item: String?  // the text of the parameter item being read
        var itemIndent = 0
        var inParameters = false
        var parametersIndent = 0

        func finishItem() {
            guard let text = item else { return }
            item = nil
            var resolved = text
            if let range = text.range(of: #"#/components/parameters/"#) {
                let name = text[range.upperBound...].prefix(while: { $0.isLetter || $0.isNumber || $0 == "_" })
                resolved = components[String(name)] ?? ""
            }
            guard let parameter = parameter(from: resolved) else { return }
            if method == nil { pathParameters.append(parameter) } else { methodParameters.append(parameter) }
        }
        func finishMethod() {
            finishItem()
            if let path, let method { operations.append(.init(method: method, path: path, parameters: pathParameters + methodParameters)) }
            method = nil
            methodParameters = []
        }

        for line in lines {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            let level = indent(line)
            if line == "components:" { finishMethod(); path = nil; break }
            if level == 2, line.hasPrefix("  /"), trimmed.hasSuffix(":") {
                finishMethod()
                path = String(trimmed.dropLast())
                pathParameters = []
                inParameters = false
                continue
            }
            guard path != nil else { continue }
            if level == 4, ["get:", "post:", "put:", "patch:", "delete:"].contains(trimmed) {
                finishMethod()
                method = String(trimmed.dropLast())
                inParameters = false
                continue
            }
            if trimmed == "parameters:" {
                finishItem()
                inParameters = true
                parametersIndent = level
                continue
            }
            guard inParameters, !trimmed.isEmpty else { continue }
            if level <= parametersIndent {
                finishItem()
                inParameters = false
                continue
            }
            if trimmed.hasPrefix("- ") {
                finishItem()
                item = String(trimmed.dropFirst(2)) + "\n"
                itemIndent = level
            } else if item != nil, level > itemIndent {
                item! += trimmed + "\n"
            }
        }
        finishMethod()
        return operations
    }

    @Test func theDocumentScanFindsTheParameters() throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Sources/ControlPlane/Resources/openapi.yaml")
        let yaml = try String(contentsOf: file, encoding: .utf8)
        let operations = Self.operations(in: yaml)
        let catalog = try #require(operations.first { $0.method == "get" && $0.path == "/api/sessions" })
        #expect(Set(catalog.parameters.map(\.name)) == ["skill", "mentor", "q", "from", "to", "sort", "page", "per_page"])
        let page = try #require(catalog.parameters.first { $0.name == "page" })
        #expect(page.type == "integer" && page.minimum == 1 && page.maximum != nil)
        let follow = try #require(operations.first { $0.method == "delete" && $0.path == "/api/mentors/{id}/follow" })
        #expect(follow.parameters.map(\.description) == ["path id"])
        #expect(operations.first { $0.path == "/api/sessions/{id}/bookings" && $0.method == "post" }?
            .parameters.contains { $0.location == "header" } == true)
    }

    /// Every query parameter of every documented operation (and every integer path parameter, and every
    /// header parameter) gets each extreme value: never a 5xx, a JSON 4xx where the value is invalid, and
    /// the server answers afterwards.
    @Test(arguments: TestBackend.all)
    func everyDocumentedParameterSurvivesExtremeValues(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let spec = try await h.call(.get, "/openapi.yaml")
            let operations = Self.operations(in: spec.raw)
            let mentor = try await h.register("extreme_mentor", role: "mentor")
            let sessionID = try await h.createSession(mentor: mentor)
            var tried = 0
            var queryParameters = Set<String>()

            func fill(_ path: String, with parameters: [Parameter], except: String? = nil, value: String = "") -> String {
                var filled = path
                for parameter in parameters where parameter.location == "path" {
                    let replacement: String
                    if parameter.name == except {
                        replacement = value.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? value
                    } else {
                        replacement = parameter.format == "uuid" ? sessionID : String(mentor.id)
                    }
                    filled = filled.replacingOccurrences(of: "{\(parameter.name)}", with: replacement)
                }
                return filled
            }

            for operation in operations {
                let method = HTTPRequest.Method(rawValue: operation.method.uppercased())!
                for parameter in operation.parameters {
                    let integerPath = parameter.location == "path" && parameter.type == "integer"
                    guard parameter.location == "query" || parameter.location == "header" || integerPath else { continue }
                    if parameter.location == "query" { queryParameters.insert("\(operation.path) \(parameter.name)") }
                    for value in Self.extremes {
                        if integerPath, value.isEmpty { continue }  // an empty segment is another route
                        var uri = fill(operation.path, with: operation.parameters, except: parameter.name, value: value)
                        var headers: [String: String] = [:]
                        switch parameter.location {
                        case "query":
                            var allowed = CharacterSet.urlQueryAllowed
                            allowed.remove(charactersIn: "&=+")
                            uri += "?\(parameter.name)=\(value.addingPercentEncoding(withAllowedCharacters: allowed)!)"
                        case "header": headers[parameter.name] = value
                        default: break
                        }
                        let result = try await h.call(method, uri, token: mentor.token, headers: headers)
                        tried += 1
                        let label = "\(operation) \(parameter) = \"\(value)\" → \(result.status.code) \(result.raw.prefix(200))"
                        #expect(result.status.code < 500, "\(label)")
                        if !parameter.accepts(value) {
                            #expect((400..<500).contains(result.status.code), "\(label)")
                            #expect(result.error != nil, "a JSON error: \(label)")
                        }
                    }
                }
            }
            // Every documented query parameter was reached, including the known killers.
            #expect(queryParameters.contains("/api/sessions page"))
            #expect(queryParameters.contains("/api/me/sessions per_page"))
            #expect(queryParameters.count >= 9, "\(queryParameters.sorted())")
            #expect(tried > 100, "\(tried) requests")
            // Still alive, and still right.
            let alive = try await h.call(.get, "/api/sessions?page=2&per_page=1")
            #expect(alive.status == .ok)
            #expect(alive["page"] as? Int == 2)
        }
    }

    /// The catalog's page offset: the first report, an anonymous GET that trapped the process.
    @Test(arguments: TestBackend.all)
    func aHugePageIsABadRequestNotATrap(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let result = try await h.call(.get, "/api/sessions?page=4611686018427387905&per_page=2")
            #expect(result.status == .badRequest)
            #expect(result.error == "bad_request")
            #expect(result.raw.contains("page"))
            let last = try await h.call(.get, "/api/sessions?page=100000&per_page=100")
            #expect(last.status == .ok)
        }
    }

    /// JSON numbers in bodies: huge, negative, fractional and overflowing values are a 400/422 JSON error.
    @Test(arguments: TestBackend.all)
    func extremeJSONNumbersAreClearErrors(backend: TestBackend) async throws {
        try await TestHarness.run(backend) { h in
            let mentor = try await h.register("json_mentor", role: "mentor")
            let learner = try await h.register("json_learner")
            let sessionID = try await h.createSession(mentor: mentor)
            let numbers: [String] = [
                "9223372036854775807", "-9223372036854775808", "-1", "12345678901234567890", "1e400", "-1e400",
                "1e-400", "0.000000000000000000000000000001", "99999999999999999999.99", "1.5",
            ]
            let future = h.clock.now.addingTimeInterval(7200).formatted(TestHarness.iso)
            func session(_ key: String, _ number: String) -> String {
                var fields = [
                    "\"title\": \"T\"", "\"description\": \"D\"", "\"schedule\": \"\(future)\"", "\"duration\": 60",
                    "\"max_participants\": 5", "\"price\": 10",
                ]
                fields.removeAll { $0.hasPrefix("\"\(key)\"") }
                fields.append("\"\(key)\": \(number)")
                return "{" + fields.joined(separator: ", ") + "}"
            }
            struct Case { var method: HTTPRequest.Method; var path: String; var token: String?; var body: String; var field: String }
            var cases: [Case] = []
            for (index, number) in numbers.enumerated() {
                for key in ["duration", "max_participants", "price"] {
                    cases.append(.init(method: .post, path: "/api/sessions", token: mentor.token, body: session(key, number), field: key))
                    cases.append(.init(
                        method: .patch, path: "/api/sessions/\(sessionID)", token: mentor.token,
                        body: "{\"\(key)\": \(number)}", field: key))
                }
                cases.append(.init(
                    method: .post, path: "/api/auth/register", token: nil,
                    body: #"{"username":"num\#(index)","email":"num\#(index)@example.com","password":"Passw0rd!x","role":"mentor","hourly_rate":\#(number)}"#,
                    field: "hourly_rate"))
                cases.append(.init(method: .patch, path: "/api/me", token: mentor.token, body: "{\"hourly_rate\": \(number)}", field: "hourly_rate"))
                cases.append(.init(
                    method: .post, path: "/api/requests", token: learner.token,
                    body: #"{"mentor_id": \#(mentor.id), "subject": "s", "message": "m", "duration_requested": \#(number)}"#,
                    field: "duration_requested"))
                cases.append(.init(
                    method: .post, path: "/api/requests", token: learner.token,
                    body: #"{"mentor_id": \#(number), "subject": "s", "message": "m"}"#, field: "mentor_id"))
                cases.append(.init(
                    method: .post, path: "/api/sessions/\(sessionID)/feedback", token: learner.token,
                    body: "{\"rating\": \(number)}", field: "rating"))
            }
            for item in cases {
                let result = try await h.call(
                    item.method, item.path, token: item.token, body: item.body, headers: ["Content-Type": "application/json"])
                let label = "\(item.method) \(item.path) \(item.field) \(item.body) → \(result.status.code) \(result.raw.prefix(300))"
                #expect(result.status.code < 500, "\(label)")
                // Every case above is out of range or fractional for an integer/cents field, except the
                // ones a field may legitimately hold (a price of 1.5, a mentor id that is merely unknown).
                #expect((400..<500).contains(result.status.code) || result.status.code < 300, "\(label)")
                if result.status.code >= 400 { #expect(result.error != nil, "\(label)") }
            }
            // Nothing out of range was stored.
            let stored = try await h.sql.raw(
                "SELECT COUNT(*) AS n FROM sessions WHERE duration < 1 OR duration > 1440 OR max_participants < 1 OR max_participants > 1000 OR price_cents < 0 OR price_cents > 100000000000"
            ).first()
            #expect(try stored?.decode(column: "n", as: Int.self) == 0)
            let rates = try await h.sql.raw(
                "SELECT COUNT(*) AS n FROM users WHERE hourly_rate_cents < 0 OR hourly_rate_cents > 100000000000").first()
            #expect(try rates?.decode(column: "n", as: Int.self) == 0)
            #expect(try await h.call(.get, "/health").status == .ok)
        }
    }
}
