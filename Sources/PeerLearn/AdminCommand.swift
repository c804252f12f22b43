import ArgumentParser
import ControlPlane
import Foundation
import Logging

/// `peerlearn admin …`: operator tasks run against the configured database, beside or without a
/// running server.
struct AdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin", abstract: "Operator tasks on the configured database.",
        subcommands: [CreateSuperuserCommand.self])
}

/// The first staff account: the API cannot make one (nobody may grant staff rights before a staff
/// member exists), so the operator does, with the password read from the environment or stdin rather
/// than the command line (which other users of the machine can see in `ps`).
struct CreateSuperuserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create-superuser",
        abstract: "Create a superuser (staff) account, or make an existing account one.",
        discussion: "The password comes from PEERLEARN_SUPERUSER_PASSWORD, else the first line of stdin.")

    @Option(name: .shortAndLong, help: "Configuration file (JSON). Missing file: built-in defaults.")
    var config: String = "config/peerlearn.json"

    @Option(help: "Username of the new (or existing) account.")
    var username: String

    @Option(help: "Email of a new account.")
    var email: String?

    func run() async throws {
        var logger = Logger(label: "peerlearn.admin")
        logger.logLevel = .warning
        let configuration = try PeerLearnConfiguration.load(path: config)
        try configuration.validate()
        let password = ProcessInfo.processInfo.environment["PEERLEARN_SUPERUSER_PASSWORD"] ?? readLine(strippingNewline: true)
        let services = try await ControlPlaneServices(configuration: configuration, logger: logger)
        do {
            let outcome = try await SuperuserAccounts(services: services).create(username: username, email: email, password: password)
            print(outcome)
        } catch {
            await services.database.shutdown()
            throw error
        }
        await services.database.shutdown()
    }
}
