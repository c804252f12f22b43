/// Detects a growing queue from the slope of the accumulated one-way delay variation
/// (draft-ietf-rmcat-gcc §5.3-5.4; libwebrtc's `TrendlineEstimator`).
///
/// Each group delta adds (arrival delta − send delta) to an accumulated delay, which is smoothed and
/// fitted by least squares over the last `windowSize` groups. The slope (ms of delay per ms of time)
/// times the sample count and a gain is compared with an adaptive threshold: the threshold follows
/// the signal slowly, so a competing loss-based flow (which keeps queues full) does not starve us,
/// and quickly falls back when delay calms down.
public struct TrendlineEstimator: Sendable {
    /// Groups in the regression window (libwebrtc: 20).
    public static let windowSize = InlineDoubles.count
    /// Groups needed before a slope is fitted. libwebrtc waits for a full window; at 1200-byte
    /// packets that is 20 packets, long enough for a start above capacity to fill a short drop-tail
    /// queue unseen (and a full queue shows no gradient). The slope's weight grows with the sample
    /// count anyway (`maxDeltasScale`), which keeps an early fit from overreacting.
    public static let minimumWindow = 8
    /// Exponential smoothing of the accumulated delay (libwebrtc: 0.9).
    public static let smoothing = 0.9
    /// Gain applied to the slope before thresholding (libwebrtc: 4).
    public static let thresholdGain = 4.0
    /// The slope is scaled by at most this many samples (libwebrtc `kMinNumDeltas`: 60).
    public static let maxDeltasScale = 60
    /// Threshold adaptation rates per ms when the signal is above / below it (draft §5.4: K_u, K_d).
    public static let thresholdUpRate = 0.0087
    public static let thresholdDownRate = 0.039
    /// Signals further than this above the threshold are spikes and do not move it (ms).
    public static let maxAdaptOffset = 15.0
    /// Threshold starting value and bounds, ms (draft §5.4: 12.5, [6, 600]).
    public static let initialThreshold = 12.5
    public static let thresholdRange: ClosedRange<Double> = 6...600
    /// Sustained overuse needed before signalling it, ms (draft §5.4: 10 ms).
    public static let overusingTimeThreshold = 10.0

    public private(set) var usage: BandwidthUsage = .normal
    /// Latest least-squares slope of the smoothed delay.
    public private(set) var slope = 0.0
    /// The slope as compared with the threshold (slope × samples × gain).
    public private(set) var modifiedTrend = 0.0
    public private(set) var threshold = TrendlineEstimator.initialThreshold

    private var deltaCount = 0
    private var accumulatedDelay = 0.0
    private var smoothedDelay = 0.0
    private var firstArrival: Int64?
    /// The regression window: (ms since the first arrival, smoothed delay ms).
    private var window = FixedWindow()
    private var timeOverUsing = -1.0
    private var overuseCounter = 0
    private var previousSlope = 0.0
    private var lastThresholdUpdate: Int64?

    public init() {}

    /// Feeds one group delta; returns the updated usage.
    @discardableResult
    public mutating func update(_ deltas: InterArrival.Deltas) -> BandwidthUsage {
        let sendDeltaMs = Double(deltas.sendDelta) / 1e6
        let arrivalDeltaMs = Double(deltas.arrivalDelta) / 1e6
        let delayDelta = arrivalDeltaMs - sendDeltaMs
        deltaCount = min(deltaCount + 1, 1000)
        let first = firstArrival ?? deltas.arrivalTime
        firstArrival = first

        accumulatedDelay += delayDelta
        smoothedDelay = Self.smoothing * smoothedDelay + (1 - Self.smoothing) * accumulatedDelay
        window.append(x: Double(deltas.arrivalTime.saturatingSubtract(first)) / 1e6, y: smoothedDelay)
        if window.count >= Self.minimumWindow, let fitted = window.slope() { slope = fitted }
        detect(sendDeltaMs: sendDeltaMs, now: deltas.arrivalTime)
        return usage
    }

    private mutating func detect(sendDeltaMs: Double, now: Int64) {
        guard deltaCount >= 2 else {
            usage = .normal
            return
        }
        modifiedTrend = Double(min(deltaCount, Self.maxDeltasScale)) * slope * Self.thresholdGain
        if modifiedTrend > threshold {
            timeOverUsing = timeOverUsing < 0 ? sendDeltaMs / 2 : timeOverUsing + sendDeltaMs
            overuseCounter += 1
            if timeOverUsing > Self.overusingTimeThreshold && overuseCounter > 1 && slope >= previousSlope {
                timeOverUsing = 0
                overuseCounter = 0
                usage = .overusing
            }
        } else if modifiedTrend < -threshold {
            timeOverUsing = -1
            overuseCounter = 0
            usage = .underusing
        } else {
            timeOverUsing = -1
            overuseCounter = 0
            usage = .normal
        }
        previousSlope = slope
        adaptThreshold(now: now)
    }

    private mutating func adaptThreshold(now: Int64) {
        let last = lastThresholdUpdate ?? now
        lastThresholdUpdate = now
        let magnitude = abs(modifiedTrend)
        guard magnitude <= threshold + Self.maxAdaptOffset else { return }
        let rate = magnitude < threshold ? Self.thresholdDownRate : Self.thresholdUpRate
        let elapsedMs = min(max(Double(now.saturatingSubtract(last)) / 1e6, 0), 100)
        threshold += rate * (magnitude - threshold) * elapsedMs
        threshold = min(max(threshold, Self.thresholdRange.lowerBound), Self.thresholdRange.upperBound)
    }
}

/// The last `TrendlineEstimator.windowSize` points (a ring), stored inline so updating never allocates.
struct FixedWindow: Sendable {
    private var xs = InlineDoubles()
    private var ys = InlineDoubles()
    private var next = 0
    private(set) var count = 0

    var isFull: Bool { count == InlineDoubles.count }

    mutating func append(x: Double, y: Double) {
        xs[next] = x
        ys[next] = y
        next = (next + 1) % InlineDoubles.count
        count = min(count + 1, InlineDoubles.count)
    }

    /// Least-squares slope of y over x; `nil` when x does not vary.
    func slope() -> Double? {
        guard count >= 2 else { return nil }
        var sumX = 0.0, sumY = 0.0
        for index in 0..<count {
            sumX += xs[index]
            sumY += ys[index]
        }
        let meanX = sumX / Double(count), meanY = sumY / Double(count)
        var numerator = 0.0, denominator = 0.0
        for index in 0..<count {
            let dx = xs[index] - meanX
            numerator += dx * (ys[index] - meanY)
            denominator += dx * dx
        }
        return denominator > 0 ? numerator / denominator : nil
    }
}

/// Twenty doubles in a tuple: a fixed-size buffer without a heap allocation.
struct InlineDoubles: Sendable {
    static let count = 20
    private var storage: (Double, Double, Double, Double, Double, Double, Double, Double, Double, Double,
                          Double, Double, Double, Double, Double, Double, Double, Double, Double, Double)
        = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)

    subscript(index: Int) -> Double {
        get {
            precondition(index >= 0 && index < Self.count)
            return withUnsafeBytes(of: storage) { $0.load(fromByteOffset: index * 8, as: Double.self) }
        }
        set {
            precondition(index >= 0 && index < Self.count)
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: newValue, toByteOffset: index * 8, as: Double.self) }
        }
    }
}
