internal import COpenSSL

/// The epoch-1 record keys of a DTLS 1.2 association whose `SSL` is gone (`DTLSConnection.retire()`):
/// enough to read the peer's alerts and to write our close_notify, for a few hundred bytes instead of
/// OpenSSL's ~40 KB. AEAD suites only (RFC 5288 GCM, RFC 7905 ChaCha20-Poly1305), the only kind
/// `SSLContextFactory` offers.
struct DTLSRecordProtection {
    enum Cipher: Sendable, Equatable {
        case aes128GCM, aes256GCM, chacha20Poly1305

        /// From the suite's IANA number; nil for anything else, which keeps its `SSL`.
        init?(suite: UInt16) {
            switch suite {
            case 0xC02B, 0xC02F: self = .aes128GCM
            case 0xC02C, 0xC030: self = .aes256GCM
            case 0xCCA9, 0xCCA8: self = .chacha20Poly1305
            default: return nil
            }
        }

        var keyLength: Int { self == .aes128GCM ? 16 : 32 }
        /// GCM's salt (RFC 5288 §3), or ChaCha's whole nonce mask (RFC 7905 §2).
        var fixedIVLength: Int { self == .chacha20Poly1305 ? 12 : 4 }
        /// GCM carries 8 bytes of its nonce in each record; ChaCha derives it from the sequence number.
        var explicitNonceLength: Int { self == .chacha20Poly1305 ? 0 : 8 }
        var prfDigest: String { self == .aes256GCM ? "SHA384" : "SHA256" }

        fileprivate var evp: OpaquePointer? {
            switch self {
            case .aes128GCM: EVP_aes_128_gcm()
            case .aes256GCM: EVP_aes_256_gcm()
            case .chacha20Poly1305: EVP_chacha20_poly1305()
            }
        }
    }

    static let tagLength = 16

    let cipher: Cipher
    private let readKey: [UInt8]
    private let readIV: [UInt8]
    private let writeKey: [UInt8]
    private let writeIV: [UInt8]
    /// Our next epoch-1 sequence number: one past the last record OpenSSL wrote.
    private var nextWriteSequence: UInt64

    /// Derives the key block (RFC 5246 §6.3) the way the handshake did.
    init?(
        cipher: Cipher, masterSecret: [UInt8], clientRandom: [UInt8], serverRandom: [UInt8],
        isClient: Bool, nextWriteSequence: UInt64
    ) {
        let keyLength = cipher.keyLength, ivLength = cipher.fixedIVLength
        var block = [UInt8](repeating: 0, count: 2 * (keyLength + ivLength))
        let seed = Array("key expansion".utf8) + serverRandom + clientRandom
        let status = block.withUnsafeMutableBufferPointer { out in
            peerlearn_tls12_prf(cipher.prfDigest, masterSecret, masterSecret.count, seed, seed.count, out.baseAddress, out.count)
        }
        defer { for index in block.indices { block[index] = 0 } }
        guard status == 1, nextWriteSequence < 1 << 48 else { return nil }
        let clientKey = Array(block[0..<keyLength]), serverKey = Array(block[keyLength..<(2 * keyLength)])
        let clientIV = Array(block[(2 * keyLength)..<(2 * keyLength + ivLength)])
        let serverIV = Array(block[(2 * keyLength + ivLength)...])
        self.cipher = cipher
        (readKey, readIV) = isClient ? (serverKey, serverIV) : (clientKey, clientIV)
        (writeKey, writeIV) = isClient ? (clientKey, clientIV) : (serverKey, serverIV)
        self.nextWriteSequence = nextWriteSequence
    }

    /// Our next epoch-1 record carrying `plaintext`, whole; nil once the sequence space is spent.
    mutating func seal(contentType: UInt8, _ plaintext: [UInt8]) -> [UInt8]? {
        guard nextWriteSequence < 1 << 48, plaintext.count <= 16_384 else { return nil }
        let sequence = 1 << 48 | nextWriteSequence
        nextWriteSequence += 1
        let explicit = cipher.explicitNonceLength > 0 ? Self.bigEndian(sequence) : []
        let nonce = nonce(iv: writeIV, explicit: explicit, sequence: sequence)
        let aad = Self.additionalData(sequence: sequence, contentType: contentType, length: plaintext.count)
        var body = [UInt8](repeating: 0, count: plaintext.count + Self.tagLength)
        guard Self.run(cipher, encrypt: true, key: writeKey, nonce: nonce, aad: aad, input: plaintext, output: &body) else {
            return nil
        }
        let fragment = explicit + body
        return DTLSRecord.header(contentType: contentType, epochAndSequence: sequence, length: fragment.count) + fragment
    }

    /// The plaintext of an epoch-1 record the peer wrote, or nil if it does not authenticate.
    func open(_ record: DTLSRecord) -> [UInt8]? {
        let fragment = record.fragment
        let explicitLength = cipher.explicitNonceLength
        guard record.epoch == 1, fragment.count > explicitLength + Self.tagLength else { return nil }
        let sequence = record.epochAndSequence
        let nonce = nonce(iv: readIV, explicit: Array(fragment[0..<explicitLength]), sequence: sequence)
        let sealed = Array(fragment[explicitLength...])
        let length = sealed.count - Self.tagLength
        let aad = Self.additionalData(sequence: sequence, contentType: record.contentType, length: length)
        var plaintext = [UInt8](repeating: 0, count: length)
        guard Self.run(cipher, encrypt: false, key: readKey, nonce: nonce, aad: aad, input: sealed, output: &plaintext) else {
            return nil
        }
        return plaintext
    }

    private func nonce(iv: [UInt8], explicit: [UInt8], sequence: UInt64) -> [UInt8] {
        guard cipher == .chacha20Poly1305 else { return iv + explicit }
        var nonce = iv
        for (index, byte) in Self.bigEndian(sequence).enumerated() { nonce[4 + index] ^= byte }
        return nonce
    }

    /// RFC 5246 §6.2.3.3: the 64-bit epoch and sequence, type, version and plaintext length.
    private static func additionalData(sequence: UInt64, contentType: UInt8, length: Int) -> [UInt8] {
        bigEndian(sequence) + [contentType, UInt8(DTLSRecord.version >> 8), UInt8(DTLSRecord.version & 0xFF),
                               UInt8(truncatingIfNeeded: length >> 8), UInt8(truncatingIfNeeded: length)]
    }

    private static func bigEndian(_ value: UInt64) -> [UInt8] {
        stride(from: 56, through: 0, by: -8).map { UInt8(truncatingIfNeeded: value >> UInt64($0)) }
    }

    /// One AEAD operation with a fresh context: records are sealed or opened a handful of times per
    /// association, so nothing is kept. Encrypting writes the tag after the ciphertext; decrypting reads it
    /// from the input's last 16 bytes.
    private static func run(
        _ cipher: Cipher, encrypt: Bool, key: [UInt8], nonce: [UInt8], aad: [UInt8], input: [UInt8], output: inout [UInt8]
    ) -> Bool {
        guard let context = EVP_CIPHER_CTX_new() else { return false }
        defer { EVP_CIPHER_CTX_free(context) }
        let textLength = encrypt ? input.count : input.count - tagLength
        var written: Int32 = 0
        return output.withUnsafeMutableBufferPointer { out in
            guard let base = out.baseAddress else { return false }
            if encrypt {
                guard EVP_EncryptInit_ex(context, cipher.evp, nil, key, nonce) == 1,
                    EVP_EncryptUpdate(context, nil, &written, aad, Int32(aad.count)) == 1,
                    EVP_EncryptUpdate(context, base, &written, input, Int32(textLength)) == 1,
                    EVP_EncryptFinal_ex(context, base + textLength, &written) == 1
                else { return false }
                return EVP_CIPHER_CTX_ctrl(context, 0x10 /* EVP_CTRL_AEAD_GET_TAG */, Int32(tagLength), base + textLength) == 1
            }
            var tag = Array(input[textLength...])
            return EVP_DecryptInit_ex(context, cipher.evp, nil, key, nonce) == 1
                && EVP_DecryptUpdate(context, nil, &written, aad, Int32(aad.count)) == 1
                && EVP_DecryptUpdate(context, base, &written, input, Int32(textLength)) == 1
                && EVP_CIPHER_CTX_ctrl(context, 0x11 /* EVP_CTRL_AEAD_SET_TAG */, Int32(tagLength), &tag) == 1
                && EVP_DecryptFinal_ex(context, base + Int(written), &written) == 1
        }
    }
}
