internal import COpenSSL

/// OpenSSL reports failures through a thread-local queue. Stale entries left by an earlier call make
/// `SSL_get_error` misreport the next one, so every operation clears the queue first and drains it
/// afterwards (SSL_get_error(3)).
enum OpenSSLErrorQueue {
    static func clear() { ERR_clear_error() }

    /// Empties the queue and returns the text of its first (root-cause) entry.
    static func drain() -> String? {
        var first: String?
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            if first == nil {
                var buffer = [CChar](repeating: 0, count: 256)
                ERR_error_string_n(code, &buffer, buffer.count)
                first = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
        }
        return first
    }

    static func error(_ operation: String) -> DTLSError {
        .openSSL(operation: operation, reason: drain() ?? "no error recorded")
    }
}
