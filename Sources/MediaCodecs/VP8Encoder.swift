internal import CVPX

/// Real-time VP8 encoder over libvpx, tuned like a WebRTC sender: one-pass CBR, no look-ahead,
/// so every input frame yields its compressed frame before `encode` returns.
///
/// Thread use: not `Sendable`. The libvpx context is mutated by every call, so use an instance
/// from one thread (or one actor) at a time.
public final class VP8Encoder {
    public struct Configuration: Sendable, Equatable {
        public var width: Int
        public var height: Int
        public var frameRate: Int
        public var targetBitrateKbps: Int
        /// libvpx speed step 0 (best) ... 16 (fastest). Passed to libvpx as a negative `cpu-used`,
        /// which pins the speed; a positive value would let VP8 pick speed from wall-clock timing,
        /// making output depend on machine load.
        public var speed: Int
        /// Lets the decoder keep going after loss: no probability carry-over between frames.
        public var errorResilient: Bool
        /// Longest run of frames between keyframes (libvpx may place scene-cut keyframes earlier).
        public var keyframeInterval: Int
        /// Let rate control skip frames when the buffer runs dry; `encode` then returns `nil`.
        public var allowFrameDropping: Bool
        public var threads: Int

        public init(
            width: Int, height: Int, frameRate: Int = 30, targetBitrateKbps: Int,
            speed: Int = 8, errorResilient: Bool = true, keyframeInterval: Int = 3000,
            allowFrameDropping: Bool = false, threads: Int = 1
        ) {
            self.width = width
            self.height = height
            self.frameRate = frameRate
            self.targetBitrateKbps = targetBitrateKbps
            self.speed = speed
            self.errorResilient = errorResilient
            self.keyframeInterval = keyframeInterval
            self.allowFrameDropping = allowFrameDropping
            self.threads = threads
        }

        func validate() throws(VP8CodecError) {
            // VP8 frame headers carry 14-bit dimensions (RFC 6386 §9.1).
            guard (1...16383).contains(width), (1...16383).contains(height) else {
                throw .invalidConfiguration("size \(width)x\(height) outside 1...16383")
            }
            guard (1...240).contains(frameRate) else { throw .invalidConfiguration("frame rate \(frameRate)") }
            guard (1...100_000).contains(targetBitrateKbps) else {
                throw .invalidConfiguration("bitrate \(targetBitrateKbps) kbps")
            }
            guard (0...16).contains(speed) else { throw .invalidConfiguration("speed \(speed) outside 0...16") }
            guard keyframeInterval >= 1, keyframeInterval <= Int(UInt32.max) else {
                throw .invalidConfiguration("keyframe interval \(keyframeInterval)")
            }
            guard (1...64).contains(threads) else { throw .invalidConfiguration("threads \(threads)") }
        }
    }

    public private(set) var configuration: Configuration
    /// Frames submitted so far; also the next frame's presentation index.
    public private(set) var frameCount = 0
    /// Set by `requestKeyframe()`, cleared once a keyframe has been produced.
    public private(set) var isKeyframePending = false

    private let context: UnsafeMutablePointer<vpx_codec_ctx_t>
    private let image: UnsafeMutablePointer<vpx_image_t>
    private var encoderConfig: vpx_codec_enc_cfg_t

    public init(_ configuration: Configuration) throws(VP8CodecError) {
        try configuration.validate()
        var cfg = vpx_codec_enc_cfg_t()
        var status = peerlearn_vpx_vp8_enc_config_default(&cfg)
        guard status == VPX_CODEC_OK else { throw VP8CodecError(status: status.rawValue) }
        Self.apply(configuration, to: &cfg)

        let context = UnsafeMutablePointer<vpx_codec_ctx_t>.allocate(capacity: 1)
        context.initialize(to: vpx_codec_ctx_t())
        status = peerlearn_vpx_vp8_enc_init(context, &cfg)
        guard status == VPX_CODEC_OK else {
            context.deallocate()
            throw VP8CodecError(status: status.rawValue)
        }
        // Controls as WebRTC's libvpx VP8 wrapper sets them for real-time camera content.
        status = peerlearn_vpx_set_cpuused(context, -Int32(configuration.speed))
        if status == VPX_CODEC_OK { status = peerlearn_vpx_set_static_threshold(context, 1) }
        if status == VPX_CODEC_OK { status = peerlearn_vpx_set_noise_sensitivity(context, 0) }
        if status == VPX_CODEC_OK {
            status = peerlearn_vpx_set_token_partitions(context, Int32(VP8_ONE_TOKENPARTITION.rawValue))
        }
        if status == VPX_CODEC_OK {
            let cap = Self.maxIntraBitratePercent(frameRate: configuration.frameRate)
            status = peerlearn_vpx_set_max_intra_bitrate_pct(context, cap)
        }
        guard status == VPX_CODEC_OK else {
            vpx_codec_destroy(context)
            context.deallocate()
            throw VP8CodecError(status: status.rawValue)
        }

        self.configuration = configuration
        self.encoderConfig = cfg
        self.context = context
        self.image = .allocate(capacity: 1)
        image.initialize(to: vpx_image_t())
    }

    deinit {
        vpx_codec_destroy(context)
        context.deallocate()
        image.deallocate()
    }

    /// Makes the next `encode` produce a keyframe, e.g. when a receiver sends PLI or FIR
    /// (RFC 4585 §6.3.1, RFC 5104 §4.3.1) while the encode loop runs elsewhere.
    public func requestKeyframe() {
        isKeyframePending = true
    }

    /// Encodes the next frame. Returns `nil` only when `allowFrameDropping` let rate control skip it.
    public func encode(_ frame: I420Frame, forceKeyframe: Bool = false) throws(VP8CodecError) -> VP8EncodedFrame? {
        // libvpx reads width×height×1.5 bytes through the plane pointers: the layout must match exactly.
        guard frame.width == configuration.width, frame.height == configuration.height, frame.hasValidLayout else {
            throw .frameSizeMismatch(width: frame.width, height: frame.height)
        }
        let pts = vpx_codec_pts_t(frameCount)
        let flags = vpx_enc_frame_flags_t(forceKeyframe || isKeyframePending ? VPX_EFLAG_FORCE_KF : 0)
        let status = frame.data.withUnsafeBufferPointer { planes -> vpx_codec_err_t in
            wrap(frame, planes)
            return vpx_codec_encode(context, image, pts, 1, flags, UInt(VPX_DL_REALTIME))
        }
        guard status == VPX_CODEC_OK else { throw VP8CodecError(status: status.rawValue) }
        frameCount += 1
        let encoded = try drain(frameIndex: Int(pts))
        if encoded?.isKeyframe == true { isKeyframePending = false }
        return encoded
    }

    /// Retargets rate control mid-stream, e.g. when congestion control lowers the send rate.
    public func setTargetBitrate(kbps: Int) throws(VP8CodecError) {
        var updated = configuration
        updated.targetBitrateKbps = kbps
        try updated.validate()
        var cfg = encoderConfig
        cfg.rc_target_bitrate = UInt32(kbps)
        let status = vpx_codec_enc_config_set(context, &cfg)
        guard status == VPX_CODEC_OK else { throw VP8CodecError(status: status.rawValue) }
        encoderConfig = cfg
        configuration = updated
    }

    /// Points the reusable `vpx_image_t` at the frame's packed planes; libvpx only reads them.
    private func wrap(_ frame: I420Frame, _ planes: UnsafeBufferPointer<UInt8>) {
        guard let start = planes.baseAddress else { return }
        let base = UnsafeMutablePointer(mutating: start)
        _ = vpx_img_wrap(image, VPX_IMG_FMT_I420, UInt32(frame.width), UInt32(frame.height), 1, base)
        // vpx_img_wrap truncates odd chroma widths; set planes and strides from the packed layout.
        image.pointee.planes.0 = base + frame.yRange.lowerBound
        image.pointee.planes.1 = base + frame.uRange.lowerBound
        image.pointee.planes.2 = base + frame.vRange.lowerBound
        image.pointee.stride.0 = Int32(frame.width)
        image.pointee.stride.1 = Int32(frame.chromaWidth)
        image.pointee.stride.2 = Int32(frame.chromaWidth)
    }

    /// Collects the output of the last `vpx_codec_encode`. libvpx requires draining after every call;
    /// with no look-ahead it emits at most one frame packet.
    private func drain(frameIndex: Int) throws(VP8CodecError) -> VP8EncodedFrame? {
        var iterator: vpx_codec_iter_t? = nil
        var result: VP8EncodedFrame?
        var extraFrames = 0
        while let packet = vpx_codec_get_cx_data(context, &iterator) {
            guard packet.pointee.kind == VPX_CODEC_CX_FRAME_PKT else { continue }
            let frame = packet.pointee.data.frame
            guard result == nil else { extraFrames += 1; continue }
            let bytes = UnsafeRawBufferPointer(start: frame.buf, count: frame.buf == nil ? 0 : frame.sz)
            result = VP8EncodedFrame(
                data: Array(bytes),
                isKeyframe: frame.flags & vpx_codec_frame_flags_t(VPX_FRAME_IS_KEY) != 0,
                frameIndex: frameIndex
            )
        }
        guard extraFrames == 0 else { throw .codecError }
        return result
    }

    private static func apply(_ configuration: Configuration, to cfg: inout vpx_codec_enc_cfg_t) {
        cfg.g_w = UInt32(configuration.width)
        cfg.g_h = UInt32(configuration.height)
        cfg.g_timebase = vpx_rational(num: 1, den: Int32(configuration.frameRate))
        cfg.g_threads = UInt32(configuration.threads)
        cfg.g_pass = VPX_RC_ONE_PASS
        cfg.g_lag_in_frames = 0
        cfg.g_error_resilient = configuration.errorResilient ? vpx_codec_er_flags_t(VPX_ERROR_RESILIENT_DEFAULT) : 0
        cfg.rc_end_usage = VPX_CBR
        cfg.rc_target_bitrate = UInt32(configuration.targetBitrateKbps)
        cfg.rc_dropframe_thresh = configuration.allowFrameDropping ? 30 : 0
        cfg.rc_resize_allowed = 0
        cfg.rc_min_quantizer = 2
        cfg.rc_max_quantizer = 56
        cfg.rc_undershoot_pct = 100
        cfg.rc_overshoot_pct = 15
        cfg.rc_buf_initial_sz = 500
        cfg.rc_buf_optimal_sz = 600
        cfg.rc_buf_sz = 1000
        cfg.kf_mode = VPX_KF_AUTO
        cfg.kf_min_dist = 0
        cfg.kf_max_dist = UInt32(configuration.keyframeInterval)
    }

    /// Caps a keyframe at half the optimal buffer (600 ms), in percent of an average frame, so
    /// keyframes do not burst the link; the same rule WebRTC applies.
    private static func maxIntraBitratePercent(frameRate: Int) -> UInt32 {
        UInt32(max(300, 600 / 2 * frameRate / 10))
    }
}

/// libvpx contexts are not thread-safe; see the type's documentation.
@available(*, unavailable)
extension VP8Encoder: Sendable {}
