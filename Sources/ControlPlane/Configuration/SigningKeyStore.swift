import Foundation

/// Resolves an HMAC signing key: the configured base64 value, or a random one generated on first start and
/// kept in the data directory so tokens survive restarts.
enum SigningKeyStore {
    static let keyLength = 32

    static func resolve(configured: String, file: String) throws -> [UInt8] {
        if !configured.isEmpty {
            guard let data = Data(base64Encoded: configured), data.count >= keyLength else {
                throw ConfigurationError.invalidSigningKey("must be base64 of at least \(keyLength) bytes")
            }
            return [UInt8](data)
        }
        if let text = try? String(contentsOfFile: file, encoding: .utf8) {
            guard let data = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)), data.count >= keyLength else {
                throw ConfigurationError.invalidSigningKey("\(file) does not hold base64 of at least \(keyLength) bytes")
            }
            return [UInt8](data)
        }
        var generator = SystemRandomNumberGenerator()
        let key = (0..<keyLength).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        // Owner-only: the key mints tokens.
        guard FileManager.default.createFile(atPath: file, contents: Data(Data(key).base64EncodedString().utf8), attributes: [.posixPermissions: 0o600]) else {
            throw ConfigurationError.invalidSigningKey("cannot write \(file)")
        }
        return key
    }
}
