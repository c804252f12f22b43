import FluentKit
import FluentPostgresDriver
import FluentSQLiteDriver
import PostgresNIO
import Foundation
import Logging
import Synchronization
import NIOCore
import NIOPosix
import SQLiteGroupCommit
import Telemetry

/// The glue Vapor would otherwise provide: a FluentKit `Databases` for SQLite or PostgreSQL, its migrations,
/// and a `Database` handle for request handlers.
public final class PeerLearnDatabase: Sendable {
    public enum Backend: String, Sendable { case sqlite, postgres }

    /// Also a ServiceLifecycle `Service`: in a `ServiceGroup` it closes the pools on graceful shutdown.
    public let databases: Databases
    public let backend: Backend
    let postgresSchema: String
    /// How to open a connection of its own on PostgreSQL (LISTEN holds one for as long as it listens).
    let postgresConnection: PostgresConnection.Configuration?
    private let logger: Logger
    /// The SQLite database's own one-thread loop, stopped on shutdown.
    private let ownedGroup: MultiThreadedEventLoopGroup?
    private let sqlitePath: String
    /// The SQLite file (unused on PostgreSQL).
    public var sqliteFile: String { sqlitePath }
    /// SQLite's group-commit writer for the booking flow's hot writes (`BookingService+SQLite`); opened by
    /// `migrate()`, once the schema exists. Nil on PostgreSQL, whose server commits concurrent
    /// transactions together by itself.
    public var groupCommit: GroupCommitWriter? { writer.withLock { $0 } }
    private let writer = Mutex<GroupCommitWriter?>(nil)
    /// Statement times and connections held (`MeasuredDatabase`).
    let use: DatabasePoolUse

    /// Opens the configured database: PostgreSQL when `url` is set, else the SQLite file at `sqlitePath`.
    ///
    /// SQLite gets one event loop and so exactly one connection: SQLite allows one writer at a time anyway,
    /// and one connection turns would-be `SQLITE_BUSY` failures into an orderly queue.
    public init(url: String, sqlitePath: String, postgresSchema: String = "", logger: Logger) throws {
        self.logger = logger
        self.postgresSchema = postgresSchema
        self.sqlitePath = sqlitePath
        if url.isEmpty {
            try FileManager.default.createDirectory(
                atPath: (sqlitePath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            self.ownedGroup = group
            self.postgresConnection = nil
            self.databases = Databases(threadPool: .singleton, on: group)
            self.databases.use(.sqlite(.file(sqlitePath), sqlLogLevel: .trace), as: .sqlite)
            self.backend = .sqlite
            self.use = DatabasePoolUse(maximumConnections: 1)
        } else {
            self.ownedGroup = nil
            self.databases = Databases(threadPool: .singleton, on: MultiThreadedEventLoopGroup.singleton)
            var configuration = try SQLPostgresConfiguration(url: url)
            if !postgresSchema.isEmpty { configuration.searchPath = [postgresSchema] }
            self.postgresConnection = configuration.coreConfiguration
            self.databases.use(
                .postgres(configuration: configuration, maxConnectionsPerEventLoop: Self.postgresConnectionsPerLoop,
                          sqlLogLevel: .trace), as: .psql)
            self.backend = .postgres
            self.use = DatabasePoolUse(
                maximumConnections: Self.postgresConnectionsPerLoop * System.coreCount)
        }
    }

    /// A database handle on any of the pool's event loops. Its logger carries the current request's id and
    /// trace (`Telemetry.requestMetadata`) as plain metadata: the pool logs from its event loop, where the
    /// request's task-local context cannot be seen.
    public var db: any Database {
        var logger = logger
        for (key, value) in Telemetry.requestMetadata.get() { logger[metadataKey: key] = value }
        return MeasuredDatabase(
            base: databases.database(logger: logger, on: databases.eventLoopGroup.any())!, use: use, bound: false)
    }

    static let postgresConnectionsPerLoop = 8

    /// Creates or upgrades the schema.
    public func migrate() async throws {
        if backend == .postgres, !postgresSchema.isEmpty {
            // The name was validated by the configuration (letters, digits, underscore).
            try await db.sql.raw("CREATE SCHEMA IF NOT EXISTS \(unsafeRaw: postgresSchema)").run()
        }
        if backend == .sqlite {
            // WAL lets readers proceed during a write; the setting is stored in the file.
            _ = try await db.sql.raw("PRAGMA journal_mode = WAL").all()
            // FULL: every commit fsyncs the WAL before it returns, so a committed booking, payment or
            // attendance row survives a power cut, not only a killed process (NORMAL would sync only at
            // checkpoints, and a power cut could roll back the last commits). The cost is one fsync per
            // write transaction. Per connection, not stored: SQLite here has exactly one connection
            // (one event loop), opened here before any request.
            _ = try await db.sql.raw("PRAGMA synchronous = FULL").all()
        }
        let migrations = Migrations()
        migrations.add(PeerLearnMigrations.all)
        let migrator = Migrator(
            databases: databases, migrations: migrations, logger: logger, on: databases.eventLoopGroup.any())
        // On PostgreSQL a relay node and the control plane may start together and migrate at once: the loser
        // of a race fails on a table the other just created, and on a retry finds the work done.
        for attempt in 1...3 {
            do {
                try await migrator.setupIfNeeded().get()
                try await migrator.prepareBatch().get()
                break
            } catch where backend == .postgres && attempt < 3 {
                logger.warning("migration failed (another process migrating?), retrying: \(error)")
                try await Task.sleep(for: .seconds(1))
            }
        }
        if backend == .sqlite, groupCommit == nil {
            let databases = databases
            let logger = logger
            let use = use
            // Each batch holds Fluent's one connection, so the two connections never write at once.
            let opened = try GroupCommitWriter(path: sqlitePath) { batch in
                guard let db = databases.database(logger: logger, on: databases.eventLoopGroup.any()) else {
                    throw DatabaseError.closed
                }
                try await MeasuredDatabase(base: db, use: use, bound: false).withConnection { _ in
                    let started = NIODeadline.now()
                    await batch()
                    use.statement("group_commit", took: NIODeadline.now() - started)
                }
            }
            writer.withLock { $0 = opened }
        }
    }

    enum DatabaseError: Error { case closed }

    /// Drops a PostgreSQL schema and everything in it (scratch schemas of tests and benchmarks).
    public func dropSchema(_ schema: String) async throws {
        guard backend == .postgres, schema.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else { return }
        try await db.sql.raw("DROP SCHEMA IF EXISTS \(unsafeRaw: schema) CASCADE").run()
    }

    /// Closes every connection. Safe to call more than once.
    public func shutdown() async {
        if let writer = writer.withLock({ current in defer { current = nil }; return current }) { await writer.close() }
        await databases.shutdownAsync()
        try? await ownedGroup?.shutdownGracefully()
    }
}

import ServiceLifecycle

extension PeerLearnDatabase: Service {
    /// Idles until graceful shutdown, then closes the pools: the database outlives the HTTP server in a group.
    public func run() async throws {
        try? await gracefulShutdown()
        await shutdown()
    }
}
