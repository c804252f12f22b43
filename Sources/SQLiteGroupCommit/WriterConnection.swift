import Foundation
// The SQLite that SQLiteNIO compiles in (symbols prefixed `sqlite_nio_`). Using that same copy matters: two
// copies of SQLite in one process keep separate POSIX-lock tables and can corrupt a file both open.
import VaporCSQLite

/// The writer's own connection to the database file, used only on the writer's queue. Statements are
/// prepared once and kept (`SQLITE_PREPARE_PERSISTENT`): parsing is most of a small statement's cost.
public final class WriterConnection {
    private var handle: OpaquePointer?
    private var statements: [String: OpaquePointer] = [:]

    init(path: String) throws {
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let opened = sqlite_nio_sqlite3_open_v2(path, &handle, flags, nil)
        self.handle = handle
        guard opened == SQLITE_OK else {
            let failure = SQLiteFailure(code: opened, message: handle.map { String(cString: sqlite_nio_sqlite3_errmsg($0)) } ?? "open")
            close()
            throw failure
        }
        // The other connection (Fluent's) may hold the lock while checkpointing; wait rather than fail.
        sqlite_nio_sqlite3_busy_timeout(handle, 5_000)
        try execute("PRAGMA journal_mode = WAL")
        // Every group commit is fsynced before any of its callers hears "done": see `GroupCommitWriter`.
        try execute("PRAGMA synchronous = FULL")
        try execute("PRAGMA foreign_keys = ON")
    }

    deinit { close() }

    func close() {
        for statement in statements.values { sqlite_nio_sqlite3_finalize(statement) }
        statements.removeAll()
        if let handle { sqlite_nio_sqlite3_close_v2(handle) }
        handle = nil
    }

    /// Runs one statement and returns its rows (each row's columns in order).
    @discardableResult
    public func query(_ sql: String, _ binds: [SQLiteValue] = []) throws -> [[SQLiteValue]] {
        let statement = try prepared(sql)
        defer {
            sqlite_nio_sqlite3_reset(statement)
            sqlite_nio_sqlite3_clear_bindings(statement)
        }
        for (offset, value) in binds.enumerated() {
            try check(bind(value, at: Int32(offset + 1), to: statement))
        }
        var rows: [[SQLiteValue]] = []
        let columns = sqlite_nio_sqlite3_column_count(statement)
        while true {
            let stepped = sqlite_nio_sqlite3_step(statement)
            if stepped == SQLITE_DONE { return rows }
            guard stepped == SQLITE_ROW else { throw failure(stepped) }
            rows.append((0..<columns).map { column(statement, $0) })
        }
    }

    /// Runs one statement and returns its first row, if any.
    public func first(_ sql: String, _ binds: [SQLiteValue] = []) throws -> [SQLiteValue]? {
        try query(sql, binds).first
    }

    /// Rows changed by the last INSERT, UPDATE or DELETE.
    public var changes: Int { handle.map { Int(sqlite_nio_sqlite3_changes($0)) } ?? 0 }

    func execute(_ sql: String) throws { try query(sql) }

    private func prepared(_ sql: String) throws -> OpaquePointer {
        if let statement = statements[sql] { return statement }
        guard let handle else { throw SQLiteFailure(code: 21, message: "connection closed") }
        var statement: OpaquePointer?
        let result = sqlite_nio_sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard result == SQLITE_OK, let statement else { throw failure(result) }
        statements[sql] = statement
        return statement
    }

    private func bind(_ value: SQLiteValue, at index: Int32, to statement: OpaquePointer) -> Int32 {
        switch value {
        case .integer(let value): sqlite_nio_sqlite3_bind_int64(statement, index, value)
        case .real(let value): sqlite_nio_sqlite3_bind_double(statement, index, value)
        case .text(let value): sqlite_nio_sqlite3_bind_text64(
            statement, index, value, UInt64(value.utf8.count), transient, UInt8(SQLITE_UTF8))
        case .null: sqlite_nio_sqlite3_bind_null(statement, index)
        }
    }

    private func column(_ statement: OpaquePointer, _ index: Int32) -> SQLiteValue {
        switch sqlite_nio_sqlite3_column_type(statement, index) {
        case SQLITE_INTEGER: .integer(sqlite_nio_sqlite3_column_int64(statement, index))
        case SQLITE_FLOAT: .real(sqlite_nio_sqlite3_column_double(statement, index))
        case SQLITE_TEXT, SQLITE_BLOB:
            if let text = sqlite_nio_sqlite3_column_text(statement, index) {
                .text(String(cString: text))
            } else {
                .null
            }
        default: .null
        }
    }

    private func check(_ result: Int32) throws {
        guard result == SQLITE_OK else { throw failure(result) }
    }

    private func failure(_ code: Int32) -> SQLiteFailure {
        let extended = handle.map { sqlite_nio_sqlite3_extended_errcode($0) } ?? code
        let message = handle.map { String(cString: sqlite_nio_sqlite3_errmsg($0)) } ?? "no connection"
        return SQLiteFailure(code: extended, message: message)
    }
}

/// `SQLITE_TRANSIENT`: SQLite copies the bound bytes before the call returns.
private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
