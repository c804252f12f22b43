internal import COpenSSL

/// The SRTP key derivation function (RFC 3711 §4.3.1, the AES-CM PRF of §4.3.3) with a key derivation
/// rate of 0, as DTLS-SRTP uses it: each session key or salt is the AES-CM keystream under the master key
/// from the IV `(master salt XOR label << 48) || 0x0000`. A 96-bit master salt (AES-GCM) is padded with
/// zeros on the right to the PRF's 112 bits (RFC 7714 §11 with erratum 4938).
enum SRTPKeyDerivation {
    enum Label: UInt8 {
        case rtpEncryption = 0x00
        case rtpSalt = 0x02
        case rtcpEncryption = 0x03
        case rtcpSalt = 0x05
    }

    /// `length` bytes (at most 32) for `label`.
    static func derive(masterKey: [UInt8], masterSalt: [UInt8], label: Label, length: Int) throws(SRTPError) -> [UInt8] {
        guard masterKey.count == 16, masterSalt.count <= 14, length <= 32 else { throw .badParameter }
        var x = [UInt8](repeating: 0, count: 16)
        for (offset, byte) in masterSalt.enumerated() { x[offset] = byte }
        x[7] ^= label.rawValue
        var output = [UInt8](repeating: 0, count: 32)
        guard let context = EVP_CIPHER_CTX_new() else { throw .library(status: -1) }
        defer { EVP_CIPHER_CTX_free(context) }
        var written: Int32 = 0
        let ok = masterKey.withUnsafeBufferPointer { key in
            x.withUnsafeBufferPointer { iv in
                EVP_EncryptInit_ex(context, EVP_aes_128_ctr(), nil, key.baseAddress, iv.baseAddress) == 1
            }
        } && output.withUnsafeMutableBufferPointer { out in
            // The keystream: counter mode over zeros.
            let zeros = [UInt8](repeating: 0, count: 32)
            return zeros.withUnsafeBufferPointer { input in
                EVP_EncryptUpdate(context, out.baseAddress, &written, input.baseAddress, 32) == 1
            }
        }
        guard ok, written == 32 else { throw .library(status: -1) }
        return Array(output.prefix(length))
    }
}
