internal import CVPX

/// VP8 decoder over libvpx producing packed `I420Frame`s.
///
/// Thread use: not `Sendable`. Decoding depends on reference frames from earlier calls, so feed
/// one stream's frames in order, from one thread (or one actor) at a time.
public final class VP8Decoder {
    private let context: UnsafeMutablePointer<vpx_codec_ctx_t>

    public init() throws(VP8CodecError) {
        let context = UnsafeMutablePointer<vpx_codec_ctx_t>.allocate(capacity: 1)
        context.initialize(to: vpx_codec_ctx_t())
        let status = peerlearn_vpx_vp8_dec_init(context)
        guard status == VPX_CODEC_OK else {
            context.deallocate()
            throw VP8CodecError(status: status.rawValue)
        }
        self.context = context
    }

    deinit {
        vpx_codec_destroy(context)
        context.deallocate()
    }

    /// Decodes one complete compressed frame. Returns `nil` for a frame that is decoded but not shown
    /// (RFC 6386 §9.1 `show_frame`). Throws `.corruptFrame` when libvpx flags the picture as damaged,
    /// e.g. an inter frame whose reference was lost.
    public func decode(_ frame: [UInt8]) throws(VP8CodecError) -> I420Frame? {
        try frame.withUnsafeBufferPointer { buffer throws(VP8CodecError) in
            try decode(UnsafeRawBufferPointer(buffer))
        }
    }

    public func decode(_ frame: UnsafeRawBufferPointer) throws(VP8CodecError) -> I420Frame? {
        // A NULL/empty buffer means "flush" to libvpx, not a frame.
        guard let data = frame.baseAddress, frame.count > 0 else { throw .emptyFrame }
        guard let size = UInt32(exactly: frame.count) else { throw .invalidParameter }
        var status = vpx_codec_decode(context, data.assumingMemoryBound(to: UInt8.self), size, nil, 0)
        guard status == VPX_CODEC_OK else { throw VP8CodecError(status: status.rawValue) }
        var corrupted: Int32 = 0
        status = peerlearn_vpx_get_frame_corrupted(context, &corrupted)
        guard status == VPX_CODEC_OK else { throw VP8CodecError(status: status.rawValue) }

        var iterator: vpx_codec_iter_t? = nil
        var picture: I420Frame?
        while let image = vpx_codec_get_frame(context, &iterator) {
            picture = Self.copy(image.pointee)
        }
        guard corrupted == 0 else { throw .corruptFrame }
        return picture
    }

    /// Copies the decoder's padded planes into a packed frame; the libvpx buffer is reused on the next call.
    private static func copy(_ image: vpx_image_t) -> I420Frame? {
        let width = Int(image.d_w), height = Int(image.d_h)
        guard image.fmt == VPX_IMG_FMT_I420, width > 0, height > 0,
              let y = image.planes.0, let u = image.planes.1, let v = image.planes.2 else { return nil }
        var frame = I420Frame(width: width, height: height)
        let chromaWidth = frame.chromaWidth, chromaHeight = frame.chromaHeight
        let uStart = frame.uRange.lowerBound, vStart = frame.vRange.lowerBound
        frame.data.withUnsafeMutableBufferPointer { out in
            guard let base = out.baseAddress else { return }
            copyPlane(from: y, stride: Int(image.stride.0), to: base, width: width, height: height)
            copyPlane(from: u, stride: Int(image.stride.1), to: base + uStart, width: chromaWidth, height: chromaHeight)
            copyPlane(from: v, stride: Int(image.stride.2), to: base + vStart, width: chromaWidth, height: chromaHeight)
        }
        return frame
    }

    private static func copyPlane(
        from source: UnsafeMutablePointer<UInt8>, stride: Int,
        to destination: UnsafeMutablePointer<UInt8>, width: Int, height: Int
    ) {
        for row in 0..<height {
            (destination + row * width).update(from: source + row * stride, count: width)
        }
    }
}

/// libvpx contexts are not thread-safe; see the type's documentation.
@available(*, unavailable)
extension VP8Decoder: Sendable {}
