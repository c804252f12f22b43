import ArgumentParser
import ControlPlane
import Foundation
import Logging

/// `peerlearn bench-bookings`: booking throughput on a scratch database (SQLite in a temp directory, or the
/// PostgreSQL at `--database-url` in a scratch schema that is dropped afterwards).
struct BenchBookingsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-bookings", abstract: "Measure booking throughput (bookings/s) on SQLite or PostgreSQL.")

    @Option(help: "PostgreSQL URL; empty: a scratch SQLite file.")
    var databaseURL: String = ""

    @Option(help: "Bookings to make.")
    var bookings: Int = 2000

    @Option(help: "Concurrent booking requests in flight.")
    var concurrency: Int = 16

    func run() async throws {
        var logger = Logger(label: "peerlearn.bench")
        logger.logLevel = .warning
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("peerlearn-bench-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = PeerLearnConfiguration()
        configuration.dataDirectory = directory
        configuration.databaseURL = databaseURL
        let schema = "bench_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        if !databaseURL.isEmpty { configuration.databaseSchema = schema }
        let services = try await ControlPlaneServices(configuration: configuration, logger: logger)
        do {
            print(try await BookingBenchmark.run(services: services, bookings: bookings, concurrency: concurrency))
        } catch {
            await cleanUp(services, schema: schema)
            throw error
        }
        await cleanUp(services, schema: schema)
    }

    private func cleanUp(_ services: ControlPlaneServices, schema: String) async {
        if !databaseURL.isEmpty { try? await services.database.dropSchema(schema) }
        await services.database.shutdown()
    }
}
