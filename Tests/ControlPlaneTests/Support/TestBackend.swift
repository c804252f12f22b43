import Foundation

/// The databases each test runs against: SQLite always, PostgreSQL when `PEERLEARN_TEST_POSTGRES_URL` is set
/// (scripts/test starts a throwaway cluster and sets it).
struct TestBackend: Sendable, CustomTestStringConvertible, CustomStringConvertible {
    var name: String
    var postgresURL: String?

    static let all: [TestBackend] = {
        var backends = [TestBackend(name: "sqlite", postgresURL: nil)]
        if let url = ProcessInfo.processInfo.environment["PEERLEARN_TEST_POSTGRES_URL"], !url.isEmpty {
            backends.append(TestBackend(name: "postgres", postgresURL: url))
        }
        return backends
    }()

    var description: String { name }
    var testDescription: String { name }
}

import Testing
