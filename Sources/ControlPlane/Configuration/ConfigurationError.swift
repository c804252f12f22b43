/// A configuration that cannot be used; reported once at start-up.
public enum ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidFile(path: String, reason: String)
    case invalidEnvironment(name: String, value: String)
    case invalidValue(key: String, reason: String)
    case invalidSigningKey(String)

    public var description: String {
        switch self {
        case .invalidFile(let path, let reason): "configuration file \(path) is invalid: \(reason)"
        case .invalidEnvironment(let name, let value): "environment variable \(name)=\(value) is not valid"
        case .invalidValue(let key, let reason): "configuration key \(key) \(reason)"
        case .invalidSigningKey(let reason): "signing key: \(reason)"
        }
    }
}
