/// Splits a sender's video bitrate over its simulcast layers the way libwebrtc's `SimulcastRateAllocator`
/// does, so a publisher's layers follow its send-side estimate like a browser's: lowest layer first, each
/// up to its target; a layer whose minimum no longer fits is paused, and every layer above it with it
/// (a higher layer needs more, and a receiver switching down needs the lower one); whatever is left goes
/// to the highest layer sent, up to its maximum.
///
/// A paused layer comes back only once its minimum fits 1.2 times over (libwebrtc's video hysteresis,
/// `RateControlSettings`), capped at its target, so an estimate hovering at a layer's minimum does not
/// start and stop it every feedback (each restart costs a keyframe). The lowest layer always gets at
/// least its minimum: going below is the caller's decision (libwebrtc suspends video outside the codec).
/// One layer is a plain stream clamped to [minimum, maximum]. Pure and allocation-free after `init`.
public struct SimulcastBitrateAllocator: Sendable {
    /// One layer's rates in bits/s; `minimum <= target <= maximum` is enforced at init.
    public struct Layer: Sendable, Equatable {
        public var minimum: UInt64
        public var target: UInt64
        public var maximum: UInt64

        public init(minimum: UInt64, target: UInt64, maximum: UInt64) {
            self.minimum = minimum
            self.target = target
            self.maximum = maximum
        }
    }

    /// How far a paused layer's minimum must be exceeded before it resumes.
    public static let hysteresis = 1.2

    /// Lowest first.
    public let layers: [Layer]
    /// Which layers the last allocation sends; all false before the first.
    public private(set) var enabled: [Bool]
    private var allocated = false

    public init(layers: [Layer]) {
        self.layers = layers.map { layer in
            let maximum = max(layer.maximum, layer.minimum)
            return Layer(minimum: layer.minimum, target: min(max(layer.target, layer.minimum), maximum), maximum: maximum)
        }
        enabled = Array(repeating: false, count: layers.count)
    }

    /// The bitrate each layer should be encoded at for `bitrate` of video; 0 pauses a layer.
    public mutating func allocate(_ bitrate: UInt64) -> [UInt64] {
        var rates = [UInt64](repeating: 0, count: layers.count)
        guard let lowest = layers.first else { return rates }
        var left = max(bitrate, lowest.minimum)
        var top: Int?
        for index in layers.indices {
            let layer = layers[index]
            var minimum = layer.minimum
            if allocated && !enabled[index] {
                let raised = Double(minimum) * Self.hysteresis
                minimum = raised >= Double(layer.target) ? layer.target : UInt64(raised)
            }
            if left < minimum { break }
            let rate = min(left, layer.target)
            rates[index] = rate
            left -= rate
            top = index
        }
        if let top {
            rates[top] += min(left, layers[top].maximum - rates[top])
        }
        for index in layers.indices { enabled[index] = rates[index] > 0 }
        allocated = true
        return rates
    }
}
