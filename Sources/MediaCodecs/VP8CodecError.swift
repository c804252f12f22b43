/// Why a VP8 call failed. libvpx `vpx_codec_err_t` values map one-to-one; the rest are caught
/// before libvpx sees the input.
public enum VP8CodecError: Error, Sendable, Equatable {
    /// `VPX_CODEC_ERROR`: unspecified libvpx failure.
    case codecError
    /// `VPX_CODEC_MEM_ERROR`.
    case outOfMemory
    /// `VPX_CODEC_ABI_MISMATCH`: headers and library disagree.
    case abiMismatch
    /// `VPX_CODEC_INCAPABLE`.
    case incapable
    /// `VPX_CODEC_UNSUP_BITSTREAM`: the data is not a VP8 frame this decoder can start from
    /// (garbage, or an inter frame before the first keyframe).
    case unsupportedBitstream
    /// `VPX_CODEC_UNSUP_FEATURE`.
    case unsupportedFeature
    /// `VPX_CODEC_CORRUPT_FRAME`, or the decoder flagged the frame (or a reference it depends on) as corrupt.
    case corruptFrame
    /// `VPX_CODEC_INVALID_PARAM`.
    case invalidParameter
    /// A configuration value outside what VP8 or this wrapper supports.
    case invalidConfiguration(String)
    /// The frame handed to the encoder does not match its configured size.
    case frameSizeMismatch(width: Int, height: Int)
    /// An empty buffer was passed to the decoder (libvpx would treat it as a flush request).
    case emptyFrame
    /// A status code this wrapper does not know.
    case unknown(code: Int32)

    init(status: UInt32) {
        switch status {
        case 1: self = .codecError
        case 2: self = .outOfMemory
        case 3: self = .abiMismatch
        case 4: self = .incapable
        case 5: self = .unsupportedBitstream
        case 6: self = .unsupportedFeature
        case 7: self = .corruptFrame
        case 8: self = .invalidParameter
        default: self = .unknown(code: Int32(bitPattern: status))
        }
    }
}
