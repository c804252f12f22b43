import FluentKit
import FluentSQL
import Logging
import Metrics
import NIOCore
import Synchronization
import Tracing

/// Fluent's `Database` with every statement timed (`peerlearn_db_query_duration_seconds{operation}`) and the
/// pool's connections counted while held (`peerlearn_db_connections_in_use`, against
/// `peerlearn_db_connections_max`), with the wait for one (`peerlearn_db_connection_wait_seconds`).
/// FluentKit and its drivers have no hook for either, so this wraps the handle `PeerLearnDatabase.db` gives
/// out; being an `SQLDatabase` too, `db.sql` keeps working. A handle bound to one connection (inside
/// `transaction` or `withConnection`) only times its statements: its connection is already counted.
struct MeasuredDatabase: Database, SQLDatabase {
    let base: any Database
    let use: DatabasePoolUse
    let bound: Bool

    var context: DatabaseContext { base.context }
    var inTransaction: Bool { base.inTransaction }
    var eventLoop: any EventLoop { base.eventLoop }

    func execute(query: DatabaseQuery, onOutput: @escaping @Sendable (any DatabaseOutput) -> ()) -> EventLoopFuture<Void> {
        statement(Self.operation(query.action)) { $0.execute(query: query, onOutput: onOutput) }
    }

    func execute(schema: DatabaseSchema) -> EventLoopFuture<Void> {
        statement("schema") { $0.execute(schema: schema) }
    }

    func execute(enum: DatabaseEnum) -> EventLoopFuture<Void> {
        statement("schema") { $0.execute(enum: `enum`) }
    }

    func transaction<T>(_ closure: @escaping @Sendable (any Database) -> EventLoopFuture<T>) -> EventLoopFuture<T> {
        let use = use
        return held { connection in
            connection.transaction { closure(MeasuredDatabase(base: $0, use: use, bound: true)) }
        }
    }

    func withConnection<T>(_ closure: @escaping @Sendable (any Database) -> EventLoopFuture<T>) -> EventLoopFuture<T> {
        let use = use
        return held { closure(MeasuredDatabase(base: $0, use: use, bound: true)) }
    }

    // MARK: SQLDatabase

    var logger: Logger { base.sql.logger }
    var version: (any SQLDatabaseReportedVersion)? { base.sql.version }
    var dialect: any SQLDialect { base.sql.dialect }
    var queryLogLevel: Logger.Level? { base.sql.queryLogLevel }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) -> EventLoopFuture<Void> {
        statement("sql") { $0.sql.execute(sql: query, onRow) }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) async throws {
        try await execute(sql: query, onRow).get()
    }

    func withSession<R>(_ closure: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        try await withConnection { connection in
            connection.eventLoop.makeFutureWithTask { try await closure(connection.sql) }
        }.get()
    }

    // MARK: Measuring

    /// Runs `body` on a connection of its own, counted from the moment the pool hands it over until `body`'s
    /// future completes; on a bound handle, on that connection.
    private func held<T>(_ body: @escaping @Sendable (any Database) -> EventLoopFuture<T>) -> EventLoopFuture<T> {
        guard !bound else { return body(base) }
        let use = use
        let asked = NIODeadline.now()
        // The pool calls back on its event loop, outside the caller's task: the request's context (its id and
        // trace, which the drivers' log lines carry) is carried over by hand.
        let context = ServiceContext.current ?? .topLevel
        return base.withConnection { connection in
            use.acquired(waited: NIODeadline.now() - asked)
            return ServiceContext.withValue(context) { body(connection) }.always { _ in use.released() }
        }
    }

    private func statement(
        _ operation: String, _ run: @escaping @Sendable (any Database) -> EventLoopFuture<Void>
    ) -> EventLoopFuture<Void> {
        let use = use
        return held { connection in
            let started = NIODeadline.now()
            return run(connection).always { _ in use.statement(operation, took: NIODeadline.now() - started) }
        }
    }

    /// A bounded label: Fluent's action, without its payload.
    static func operation(_ action: DatabaseQuery.Action) -> String {
        switch action {
        case .create: "create"
        case .read: "read"
        case .update: "update"
        case .delete: "delete"
        case .aggregate: "aggregate"
        case .custom: "custom"
        }
    }
}

/// The counts behind `MeasuredDatabase`, one per `PeerLearnDatabase`.
final class DatabasePoolUse: Sendable {
    private let inUse = Atomic<Int>(0)
    private let inUseGauge = Gauge(label: "peerlearn_db_connections_in_use")
    private let wait = Metrics.Timer(label: "peerlearn_db_connection_wait_seconds")
    private let timers: [String: Metrics.Timer]

    init(maximumConnections: Int) {
        Gauge(label: "peerlearn_db_connections_max").record(maximumConnections)
        inUseGauge.record(0)
        timers = Dictionary(uniqueKeysWithValues: [
            "create", "read", "update", "delete", "aggregate", "custom", "schema", "sql", "prepared", "group_commit",
        ].map { ($0, Metrics.Timer(label: "peerlearn_db_query_duration_seconds", dimensions: [("operation", $0)])) })
    }

    func acquired(waited: TimeAmount) {
        inUseGauge.record(inUse.add(1, ordering: .relaxed).newValue)
        wait.recordNanoseconds(max(0, waited.nanoseconds))
    }

    func released() {
        inUseGauge.record(inUse.subtract(1, ordering: .relaxed).newValue)
    }

    func statement(_ operation: String, took: TimeAmount) {
        timers[operation]?.recordNanoseconds(max(0, took.nanoseconds))
    }
}

extension Database {
    /// The driver's own handle behind a `MeasuredDatabase`, for driver-specific calls (PostgreSQL's prepared
    /// statements), which the caller times itself.
    var unmeasured: any Database { (self as? MeasuredDatabase)?.base ?? self }
}
