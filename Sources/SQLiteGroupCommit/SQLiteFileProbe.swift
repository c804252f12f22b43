// The same SQLite copy SQLiteNIO compiles in (see `WriterConnection`).
import VaporCSQLite

/// Whether the database file a server is configured with can be opened and read now, by a connection of
/// its own: the server's open connections keep working on a file that was moved, deleted or had its
/// permissions taken away, so only a fresh open tells an operator (or a restart) what is coming.
public enum SQLiteFileProbe {
    /// Nil when `path` opens read-only (never created) and its schema reads; else SQLite's reason.
    public static func problem(path: String) -> String? {
        var handle: OpaquePointer?
        defer { if let handle { sqlite_nio_sqlite3_close_v2(handle) } }
        let opened = sqlite_nio_sqlite3_open_v2(path, &handle, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nil)
        guard opened == SQLITE_OK, let handle else { return message(handle, code: opened) }
        sqlite_nio_sqlite3_busy_timeout(handle, 1_000)
        var statement: OpaquePointer?
        defer { sqlite_nio_sqlite3_finalize(statement) }
        let prepared = sqlite_nio_sqlite3_prepare_v2(handle, "SELECT count(*) FROM sqlite_master", -1, &statement, nil)
        guard prepared == SQLITE_OK else { return message(handle, code: prepared) }
        let stepped = sqlite_nio_sqlite3_step(statement)
        return stepped == SQLITE_ROW ? nil : message(handle, code: stepped)
    }

    private static func message(_ handle: OpaquePointer?, code: Int32) -> String {
        let text = handle.map { String(cString: sqlite_nio_sqlite3_errmsg($0)) } ?? String(cString: sqlite_nio_sqlite3_errstr(code))
        return "\(text) (SQLite \(code))"
    }
}
