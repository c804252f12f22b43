/// SDES item type (RFC 3550 §6.5). A struct so unknown types survive a parse/serialize cycle.
public struct SDESItemType: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8

    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    /// Terminates a chunk's item list; never a real item.
    public static let end = SDESItemType(rawValue: 0)
    public static let cname = SDESItemType(rawValue: 1)
    public static let name = SDESItemType(rawValue: 2)
    public static let email = SDESItemType(rawValue: 3)
    public static let phone = SDESItemType(rawValue: 4)
    public static let location = SDESItemType(rawValue: 5)
    public static let tool = SDESItemType(rawValue: 6)
    public static let note = SDESItemType(rawValue: 7)
    public static let privateExtension = SDESItemType(rawValue: 8)
}
