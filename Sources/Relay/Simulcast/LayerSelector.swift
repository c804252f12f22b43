/// What a subscriber asked for one video track: how large it shows it, how much bandwidth it has,
/// and how many temporal layers it wants.
struct LayerPreferences: Equatable, Sendable {
    /// The rendered size in pixels; nil when the client has not said. 0×0 pauses the track.
    var width: Int?
    var height: Int?
    /// The consumer's share of its subscriber's estimated bandwidth; nil is unlimited.
    var bitsPerSecond: UInt64?
    /// The highest VP8 temporal layer (TID) forwarded.
    var maxTemporalLayer: UInt8 = 3

    var paused: Bool { width == 0 || height == 0 }
    var limitsTemporalLayers: Bool { maxTemporalLayer < 3 }
}

/// One video consumer's choice among a simulcast track's layers (and its temporal layers), and the VP8
/// numbering that hides a switch: the subscriber sees one stream whose picture IDs and TL0PICIDX run on.
///
/// The choice is made when preferences change and on the track's review timer, never per packet; the
/// per-packet work is comparing the packet's layer with `current` and `target`.
struct LayerSelector {
    var preferences: LayerPreferences
    /// The layer forwarded now (an index into the track's layers); nil before the first keyframe.
    private(set) var current: Int?
    /// The layer to switch to at its next keyframe; equal to `current` when no switch is pending.
    private(set) var target: Int?
    /// The layer it would take if every layer were sent: what dynacast keeps on for it.
    private(set) var desired: Int?
    /// The temporal limit in force; raised only at a layer-sync point (or a keyframe), lowered at once.
    private(set) var temporalLimit: UInt8 = 3
    /// The bandwidth's own temporal limit: when even the smallest layer does not fit, only its base
    /// temporal layer (about half its bitrate with two or three temporal layers) is sent.
    private(set) var bandwidthTemporalLimit: UInt8 = 3
    /// Holds a switch up back after switches up the link did not hold.
    private(set) var backoff = UpSwitchBackoff()

    /// The highest temporal layer wanted now: the subscriber's limit and the bandwidth's.
    var maxTemporalLayer: UInt8 { min(preferences.maxTemporalLayer, bandwidthTemporalLimit) }

    /// Added (mod 2^15) to a forwarded picture ID, and (mod 2^8) to TL0PICIDX.
    private(set) var pictureIDDelta: UInt16 = 0
    private(set) var tl0Delta: UInt8 = 0
    /// The last picture ID and TL0PICIDX sent, in the subscriber's numbering.
    private var lastPictureID: UInt16?
    private var lastTL0: UInt8?
    /// The newest source picture ID seen on the current layer, and the source picture IDs the temporal
    /// limit dropped since the switch (a ring): a late packet (a repair) is renumbered with the delta in
    /// force when it was first due, which is the current one plus the drops after it.
    private var newestSourcePicture: UInt16?
    private var droppedPictures: [UInt16]
    private var droppedStart = 0
    private var droppedCount = 0

    init(preferences: LayerPreferences) {
        self.preferences = preferences
        temporalLimit = preferences.maxTemporalLayer
        droppedPictures = Array(repeating: 0, count: 32)
    }

    /// The source went away: the next one starts afresh (the VP8 numbering runs on).
    mutating func reset() {
        current = nil
        target = nil
        desired = nil
    }

    /// One layer as the selector sees it.
    struct Candidate {
        var index: Int
        var active: Bool
        var bitsPerSecond: UInt64
        var width: Int
        var height: Int
        /// Not only just resumed by the publisher on its own (`SimulcastTrack.isSettled`): a switch up may go to it.
        var settled = true
    }

    /// Chooses `desired` and `target` from the layers, smallest first. Returns whether `target` changed
    /// to a layer other than `current` (the caller asks it for a keyframe). With `now` (engine ns), a switch
    /// up is subject to `backoff`.
    mutating func choose(_ layers: [Candidate], now: Int64? = nil) -> Bool {
        let before = target
        desired = Self.desired(preferences, layers, current: current)
        bandwidthTemporalLimit = 3
        if let budget = preferences.bitsPerSecond, let desired,
            let layer = layers.first(where: { $0.index == desired }), layer.bitsPerSecond > budget
        {
            bandwidthTemporalLimit = 0
        }
        if let desired {
            target = Self.available(near: desired, in: layers, current: current) ?? current
        } else {
            target = nil
        }
        if let now { applyBackoff(from: before, in: layers, now: now) }
        if preferences.paused || (target == nil && !layers.contains { $0.index == current && $0.active }) {
            // Paused, or nothing is being sent: the next keyframe of any layer starts the consumer again.
            current = nil
        }
        return target != before && target != nil && target != current
    }

    /// Holds a new target above the current layer back while `backoff` says so, and tells `backoff` of
    /// the switches decided.
    private mutating func applyBackoff(from before: Int?, in layers: [Candidate], now: Int64) {
        backoff.review(at: now)
        func rank(_ index: Int?) -> Int? { index.flatMap { index in layers.firstIndex { $0.index == index } } }
        guard let newRank = rank(target), target != before else { return }
        let fromRank = rank(before) ?? rank(current)
        guard let fromRank else { return }  // the first layer chosen is no switch
        if newRank > fromRank {
            guard backoff.allows(
                layer: newRank, bitsPerSecond: layers[newRank].bitsPerSecond, budget: preferences.bitsPerSecond, now: now)
            else {
                target = before ?? current
                return
            }
            backoff.switchedUp(at: now, layer: newRank, budget: preferences.bitsPerSecond)
        } else if newRank < fromRank {
            backoff.switchedDown(at: now)
        }
    }

    /// A layer above the one being forwarded must fit the budget with this much to spare (in quarters:
    /// 1.25×), or a budget hovering at a layer's bitrate would switch up and down every review.
    static let upSwitchHeadroom: UInt64 = 5

    /// Highest layer that fits the rendered size and the bandwidth, ignoring whether it is being sent.
    /// Above `current` a layer needs `upSwitchHeadroom` (switching down needs none).
    static func desired(_ preferences: LayerPreferences, _ layers: [Candidate], current: Int? = nil) -> Int? {
        guard !preferences.paused, !layers.isEmpty else { return nil }
        // Size: the smallest layer that covers the rendered size; with no size (or sizes unknown), the top.
        var rank = layers.count - 1
        if let width = preferences.width, let height = preferences.height {
            if let covering = layers.firstIndex(where: { $0.width > 0 && $0.width >= width && $0.height >= height }) {
                rank = covering
            }
        }
        // Bandwidth: step down until the measured bitrate fits (an unmeasured layer fits).
        if let budget = preferences.bitsPerSecond {
            let currentRank = current.flatMap { index in layers.firstIndex { $0.index == index } } ?? layers.count
            func fits(_ rank: Int) -> Bool {
                let bitrate = layers[rank].bitsPerSecond
                guard rank > currentRank else { return bitrate <= budget }
                let (needed, overflow) = bitrate.multipliedReportingOverflow(by: Self.upSwitchHeadroom)
                return !overflow && needed / 4 <= budget
            }
            while rank > 0 && !fits(rank) { rank -= 1 }
        }
        return layers[rank].index
    }

    /// The wanted layer if it is sent, else the nearest one below it that is, else the nearest above. While
    /// `current` is sent, a layer above it must also be settled: not just resumed by the publisher on its own.
    static func available(near desired: Int, in layers: [Candidate], current: Int? = nil) -> Int? {
        guard let rank = layers.firstIndex(where: { $0.index == desired }) else { return nil }
        let running = current.flatMap { current in layers.firstIndex { $0.index == current && $0.active } }
        func usable(_ candidate: Int) -> Bool {
            guard layers[candidate].active else { return false }
            guard let running, candidate > running else { return true }
            return layers[candidate].settled
        }
        if usable(rank) { return desired }
        if let below = layers[..<rank].indices.last(where: usable) { return layers[below].index }
        return layers[(rank + 1)...].indices.first(where: usable).map { layers[$0].index }
    }

    /// Whether a packet of `layer` starting a keyframe makes the consumer switch to it (the caller then
    /// restarts its numbering). Also true for the first layer it forwards.
    func switches(to layer: Int) -> Bool {
        guard layer != current, !preferences.paused else { return false }
        // Not chosen yet (the consumer was just attached): the first keyframe of any layer starts it, and
        // the next review moves it where it belongs.
        return layer == target || (target == nil && current == nil)
    }

    /// Switches to `layer` at its keyframe whose descriptor carries `pictureID` / `tl0`: the picture
    /// numbering continues from the last picture sent.
    mutating func switched(to layer: Int, pictureID: UInt16?, tl0: UInt8?) {
        current = layer
        temporalLimit = maxTemporalLayer
        if let pictureID { pictureIDDelta = lastPictureID.map { ($0 &+ 1) &- pictureID } ?? 0 }
        if let tl0 { tl0Delta = lastTL0.map { ($0 &+ 1) &- tl0 } ?? 0 }
        newestSourcePicture = nil
        droppedCount = 0
    }

    /// Whether a packet of temporal layer `tid` is forwarded. A dropped picture (its first packet, in
    /// order) is taken out of the numbering, so the subscriber sees no gap in picture IDs.
    mutating func admits(temporalLayer tid: UInt8?, layerSync: Bool, pictureID: UInt16?, startsPicture: Bool) -> Bool {
        guard let tid else { return true }
        let wanted = maxTemporalLayer
        if temporalLimit > wanted { temporalLimit = wanted }
        if tid > temporalLimit && tid <= wanted && layerSync && startsPicture { temporalLimit = wanted }
        if tid <= temporalLimit { return true }
        if startsPicture, let pictureID, newestSourcePicture.map({ Self.isNewerPicture(pictureID, than: $0) }) ?? true {
            newestSourcePicture = pictureID
            pictureIDDelta = (pictureIDDelta &- 1) & 0x7FFF
            if droppedCount == droppedPictures.count {
                droppedStart = (droppedStart + 1) % droppedPictures.count
                droppedCount -= 1
            }
            droppedPictures[(droppedStart + droppedCount) % droppedPictures.count] = pictureID
            droppedCount += 1
        }
        return false
    }

    /// The subscriber's picture ID and TL0PICIDX for a forwarded packet's, remembered as the last sent.
    mutating func rewrite(pictureID: UInt16?, tl0: UInt8?) -> (pictureID: UInt16?, tl0: UInt8?) {
        var outPicture: UInt16?
        if let pictureID {
            var delta = pictureIDDelta
            if let newest = newestSourcePicture, Self.isNewerPicture(newest, than: pictureID) {
                for index in 0..<droppedCount
                where Self.isNewerPicture(droppedPictures[(droppedStart + index) % droppedPictures.count], than: pictureID) {
                    delta &+= 1
                }
            } else {
                newestSourcePicture = pictureID
            }
            outPicture = (pictureID &+ delta) & 0x7FFF
        }
        let outTL0 = tl0.map { $0 &+ tl0Delta }
        if let outPicture, lastPictureID.map({ Self.isNewerPicture(outPicture, than: $0) }) ?? true {
            lastPictureID = outPicture
        }
        if let outTL0, lastTL0.map({ UInt8(truncatingIfNeeded: outTL0 &- $0) < 0x80 }) ?? true { lastTL0 = outTL0 }
        return (outPicture, outTL0)
    }

    private static func isNewerPicture(_ a: UInt16, than b: UInt16) -> Bool {
        let forward = (a &- b) & 0x7FFF
        return forward != 0 && forward < 0x4000
    }
}
