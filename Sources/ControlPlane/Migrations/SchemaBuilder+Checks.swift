import FluentKit
import FluentSQL

/// Fluent's schema builder has no CHECK constraint; these render one as raw SQL, which SQLite and
/// PostgreSQL accept verbatim (both read standard `CONSTRAINT name CHECK (expr)` in CREATE TABLE).
extension SchemaBuilder {
    func check(_ name: String, _ condition: String) -> Self {
        constraint(.sql(unsafeRaw: "CONSTRAINT \(schema.schema)_\(name)_check CHECK (\(condition))"))
    }

    /// A string column that may only hold one of `E`'s raw values.
    func enumField<E: CaseIterable & RawRepresentable>(_ key: String, _ type: E.Type, default value: E? = nil, required: Bool = true) -> Self
    where E.RawValue == String {
        var constraints: [DatabaseSchema.FieldConstraint] = required ? [.required] : []
        if let value { constraints.append(.sql(.default(value.rawValue))) }
        return field(.definition(name: .key(FieldKey(stringLiteral: key)), dataType: .sql(unsafeRaw: "VARCHAR(30)"), constraints: constraints))
            .check(key, "\(key) IN (\(E.sqlList))")
    }

    /// A BIGINT primary key the database assigns (the seed's BigAutoField).
    func bigAutoID() -> Self {
        field("id", .int64, .identifier(auto: true))
    }

    /// A `VARCHAR(n)` column (the seed's CharField(max_length=n)).
    func varchar(_ key: FieldKey, _ length: Int, _ constraints: DatabaseSchema.FieldConstraint...) -> Self {
        field(.definition(name: .key(key), dataType: .sql(unsafeRaw: "VARCHAR(\(length))"), constraints: constraints))
    }
}
