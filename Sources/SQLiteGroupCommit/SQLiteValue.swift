import Foundation

/// One SQLite value, as bound to a statement or read from a row. Dates are stored as Fluent's SQLite driver
/// stores them (seconds since 1970 as a real), UUIDs as their uppercase text, booleans as 0 or 1, so rows
/// written here read back through Fluent unchanged.
public enum SQLiteValue: Sendable, Equatable {
    case integer(Int64)
    case real(Double)
    case text(String)
    case null

    public init(_ value: Int64) { self = .integer(value) }
    public init(_ value: Int) { self = .integer(Int64(value)) }
    public init(_ value: Bool) { self = .integer(value ? 1 : 0) }
    public init(_ value: String) { self = .text(value) }
    public init(_ value: Double) { self = .real(value) }
    public init(_ value: Date) { self = .real(value.timeIntervalSince1970) }
    public init(_ value: UUID) { self = .text(value.uuidString) }
    public init<T>(_ value: T?) where T: SQLiteValueConvertible { self = value?.sqliteValue ?? .null }

    public var integer: Int64? {
        switch self {
        case .integer(let value): value
        case .real(let value): Int64(exactly: value)
        default: nil
        }
    }

    public var real: Double? {
        switch self {
        case .real(let value): value
        case .integer(let value): Double(value)
        default: nil
        }
    }

    public var text: String? {
        if case .text(let value) = self { value } else { nil }
    }

    public var bool: Bool? { integer.map { $0 != 0 } }
    public var date: Date? { real.map { Date(timeIntervalSince1970: $0) } }
    public var uuid: UUID? { text.flatMap(UUID.init(uuidString:)) }
}

/// Types that bind as one `SQLiteValue`.
public protocol SQLiteValueConvertible { var sqliteValue: SQLiteValue { get } }
extension Int64: SQLiteValueConvertible { public var sqliteValue: SQLiteValue { .init(self) } }
extension Int: SQLiteValueConvertible { public var sqliteValue: SQLiteValue { .init(self) } }
extension Bool: SQLiteValueConvertible { public var sqliteValue: SQLiteValue { .init(self) } }
extension String: SQLiteValueConvertible { public var sqliteValue: SQLiteValue { .init(self) } }
extension Double: SQLiteValueConvertible { public var sqliteValue: SQLiteValue { .init(self) } }
extension Date: SQLiteValueConvertible { public var sqliteValue: SQLiteValue { .init(self) } }
extension UUID: SQLiteValueConvertible { public var sqliteValue: SQLiteValue { .init(self) } }

/// A failed SQLite call: its result code and message. `isConstraint` marks UNIQUE/CHECK violations, which
/// callers turn into conflicts.
public struct SQLiteFailure: Error, Sendable, CustomStringConvertible {
    public let code: Int32
    public let message: String
    public var isConstraint: Bool { code & 0xff == 19 }
    public var description: String { "SQLite error \(code): \(message)" }
}
