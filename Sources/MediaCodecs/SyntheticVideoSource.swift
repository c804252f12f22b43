/// Deterministic moving test picture for load generation: a panning textured gradient, a bouncing
/// square, and a 16-bit frame counter bar along the top that survives lossy coding, so a receiver
/// can tell which frame it decoded (`frameCounter(in:)`).
///
/// Frame `n` is a pure function of `n`; the background is precomputed once, so rendering costs a
/// row-wise copy plus two small fills. `render(frameIndex:into:)` reuses the caller's storage.
public struct SyntheticVideoSource: Sendable {
    public let width: Int
    public let height: Int
    /// Rows at the top carrying the frame counter.
    public let counterBarHeight: Int
    /// Counter bits; the value shown is `frameIndex mod 2^16`.
    public static let counterBits = 16

    /// Luma pixels the background moves right-to-left per frame; chroma moves half as far.
    private static let panStep = 2
    /// Horizontal period of the background texture, in luma pixels.
    private static let period = 128
    /// Random luma grain below the counter bar, up to this many levels either way, new in every frame.
    /// The panning picture alone is so predictable that an encoder runs out of things to spend bits on
    /// (640×360 VP8 stays near 4 KB a frame at the lowest quantizer whatever the target); grain gives it
    /// detail it cannot predict, so its rate control reaches the target at any frame rate.
    public let grain: Int
    /// Largest `grain`.
    public static let maximumGrain = 64
    private let lumaTexture: [UInt8]
    private let chromaUTexture: [UInt8]
    private let chromaVTexture: [UInt8]
    /// Two pictures' worth of grain values; a frame takes a window of it at an offset of its own.
    private let grainTable: [Int8]

    /// `width` and `height` must be at least 32 so the counter and square fit; `grain` is clamped to
    /// 0...`maximumGrain`.
    public init(width: Int, height: Int, grain: Int = 0) {
        precondition(width >= 32 && height >= 32, "SyntheticVideoSource needs at least 32x32")
        self.width = width
        self.height = height
        self.grain = min(max(grain, 0), Self.maximumGrain)
        self.counterBarHeight = max(8, min(16, height / 8))
        grainTable = Self.grainTable(count: self.grain > 0 ? 2 * width * height : 0, grain: self.grain)
        let period = Self.period
        // Smooth vertical gradient + horizontal triangle wave + fine 4x4 checker: enough texture for
        // rate control to spend bits on, all periodic in x so the pan is a plain offset copy.
        lumaTexture = Self.texture(width: width + period, height: height) { x, y in
            let gradient = 40 + 120 * y / height
            let phase = x % period
            let wave = (phase < period / 2 ? phase : period - phase) * 60 / (period / 2)
            let checker = ((x / 4 + y / 4) & 1) == 0 ? 12 : -12
            return gradient + wave + checker
        }
        let chromaWidth = (width + 1) / 2, chromaHeight = (height + 1) / 2
        let chromaPeriod = period / 2
        chromaUTexture = Self.texture(width: chromaWidth + chromaPeriod, height: chromaHeight) { x, _ in
            let phase = x % chromaPeriod
            return 128 + ((phase < chromaPeriod / 2 ? phase : chromaPeriod - phase) - chromaPeriod / 4)
        }
        chromaVTexture = Self.texture(width: chromaWidth + chromaPeriod, height: chromaHeight) { _, y in
            96 + 64 * y / chromaHeight
        }
    }

    /// Renders frame `frameIndex` into a new frame.
    public func frame(at frameIndex: Int) -> I420Frame {
        var frame = I420Frame(width: width, height: height)
        render(frameIndex: frameIndex, into: &frame)
        return frame
    }

    /// Renders frame `frameIndex` into `frame`, reusing its storage when sizes match.
    public func render(frameIndex: Int, into frame: inout I420Frame) {
        if frame.width != width || frame.height != height || !frame.hasValidLayout {
            frame = I420Frame(width: width, height: height)
        }
        let index = max(0, frameIndex)
        let lumaOffset = (index % Self.period) * Self.panStep % Self.period
        let chromaOffset = lumaOffset / 2
        let chromaWidth = frame.chromaWidth, chromaHeight = frame.chromaHeight
        let uStart = frame.uRange.lowerBound, vStart = frame.vRange.lowerBound
        let square = squareRect(frameIndex: index)
        let barHeight = counterBarHeight

        frame.data.withUnsafeMutableBufferPointer { out in
            guard let base = out.baseAddress else { return }
            Self.pan(lumaTexture, rowWidth: width + Self.period, offset: lumaOffset,
                     into: base, width: width, height: height)
            Self.pan(chromaUTexture, rowWidth: chromaWidth + Self.period / 2, offset: chromaOffset,
                     into: base + uStart, width: chromaWidth, height: chromaHeight)
            Self.pan(chromaVTexture, rowWidth: chromaWidth + Self.period / 2, offset: chromaOffset,
                     into: base + vStart, width: chromaWidth, height: chromaHeight)

            // Bouncing square: bright and reddish.
            Self.fill(base, stride: width, x: square.x, y: square.y,
                      width: square.size, height: square.size, value: 210)
            let chromaSquare = (x: square.x / 2, y: square.y / 2, size: (square.size + 1) / 2)
            Self.fill(base + uStart, stride: chromaWidth, x: chromaSquare.x, y: chromaSquare.y,
                      width: chromaSquare.size, height: chromaSquare.size, value: 90)
            Self.fill(base + vStart, stride: chromaWidth, x: chromaSquare.x, y: chromaSquare.y,
                      width: chromaSquare.size, height: chromaSquare.size, value: 200)

            if grain > 0 {
                // A frame's window starts at a pseudo-random pixel, far from the last one's (no motion
                // vector finds it), and is a function of the frame index like the rest of the picture.
                let pixels = width * height
                let offset = Int(Self.mix(UInt64(index)) % UInt64(pixels))
                grainTable.withUnsafeBufferPointer { noise in
                    guard let noise = noise.baseAddress else { return }
                    for pixel in (barHeight * width)..<pixels {
                        base[pixel] = UInt8(clamping: Int(base[pixel]) + Int(noise[offset + pixel]))
                    }
                }
            }

            // Counter bar: one black/white cell per bit, most significant first, neutral chroma.
            let counter = index & ((1 << Self.counterBits) - 1)
            for bit in 0..<Self.counterBits {
                let cell = cellSpan(bit)
                let isSet = (counter >> (Self.counterBits - 1 - bit)) & 1 == 1
                Self.fill(base, stride: width, x: cell.lowerBound, y: 0, width: cell.count, height: barHeight,
                          value: isSet ? 235 : 16)
            }
            let chromaBar = (barHeight + 1) / 2
            Self.fill(base + uStart, stride: chromaWidth, x: 0, y: 0, width: chromaWidth, height: chromaBar, value: 128)
            Self.fill(base + vStart, stride: chromaWidth, x: 0, y: 0, width: chromaWidth, height: chromaBar, value: 128)
        }
    }

    /// Reads the frame counter back from a (possibly lossy-decoded) frame of this source's size,
    /// by thresholding the mean luma at the centre of each cell. `nil` if the size differs.
    public func frameCounter(in frame: I420Frame) -> Int? {
        guard frame.width == width, frame.height == height, frame.hasValidLayout else { return nil }
        var value = 0
        for bit in 0..<Self.counterBits {
            let cell = cellSpan(bit)
            let x0 = cell.lowerBound + cell.count / 4, x1 = cell.upperBound - cell.count / 4
            let y0 = counterBarHeight / 4, y1 = counterBarHeight - counterBarHeight / 4
            var sum = 0, count = 0
            for y in y0..<y1 {
                for x in x0..<x1 {
                    sum += Int(frame.data[y * width + x])
                    count += 1
                }
            }
            value = value << 1 | (count > 0 && sum / count >= 128 ? 1 : 0)
        }
        return value
    }

    /// Square position: independent triangle waves in x and y, kept below the counter bar.
    func squareRect(frameIndex: Int) -> (x: Int, y: Int, size: Int) {
        let size = max(8, min(width, height - counterBarHeight) / 4)
        let x = Self.bounce(frame: frameIndex, step: 5, range: width - size)
        let y = counterBarHeight + Self.bounce(frame: frameIndex, step: 3, range: height - counterBarHeight - size)
        return (x, y, size)
    }

    private func cellSpan(_ bit: Int) -> Range<Int> {
        (bit * width / Self.counterBits)..<((bit + 1) * width / Self.counterBits)
    }

    /// Triangle wave over 0...range moving `step` pixels per frame; reduced before multiplying so
    /// huge frame indices cannot overflow.
    private static func bounce(frame: Int, step: Int, range: Int) -> Int {
        guard range > 0 else { return 0 }
        let phase = (max(0, frame) % (2 * range)) * step % (2 * range)
        return phase <= range ? phase : 2 * range - phase
    }

    /// SplitMix64's finalizer: a well-spread 64-bit value from a counter.
    private static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// `count` values in -grain...grain from a fixed seed, so every source of a size draws the same grain.
    private static func grainTable(count: Int, grain: Int) -> [Int8] {
        let span = UInt64(2 * grain + 1)
        return (0..<count).map { Int8(Int(mix(UInt64($0) &+ 0x5EED) % span) - grain) }
    }

    private static func texture(width: Int, height: Int, _ value: (Int, Int) -> Int) -> [UInt8] {
        var texture = [UInt8](repeating: 0, count: width * height)
        for y in 0..<height {
            for x in 0..<width {
                texture[y * width + x] = UInt8(clamping: value(x, y))
            }
        }
        return texture
    }

    private static func pan(
        _ texture: [UInt8], rowWidth: Int, offset: Int,
        into destination: UnsafeMutablePointer<UInt8>, width: Int, height: Int
    ) {
        texture.withUnsafeBufferPointer { source in
            guard let source = source.baseAddress else { return }
            for row in 0..<height {
                (destination + row * width).update(from: source + row * rowWidth + offset, count: width)
            }
        }
    }

    private static func fill(
        _ plane: UnsafeMutablePointer<UInt8>, stride: Int, x: Int, y: Int, width: Int, height: Int, value: UInt8
    ) {
        for row in y..<(y + height) {
            (plane + row * stride + x).update(repeating: value, count: width)
        }
    }
}
