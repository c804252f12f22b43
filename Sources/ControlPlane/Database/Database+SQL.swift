import FluentKit
import FluentSQL

extension Database {
    /// The SQLKit view of this database, for the statements Fluent's query builder cannot express
    /// (conditional UPDATE … RETURNING, partial indexes). Both supported drivers are SQL databases.
    var sql: any SQLDatabase {
        guard let sql = self as? any SQLDatabase else {
            preconditionFailure("PeerLearn runs only on SQL databases (SQLite, PostgreSQL)")
        }
        return sql
    }
}
