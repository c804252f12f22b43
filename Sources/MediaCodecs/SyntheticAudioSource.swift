#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Deterministic test tone for load generation: a sine at `frequency` whose level swells slowly
/// (raised-cosine envelope at `modulationFrequency`), so Opus never sees pure silence or a flat signal.
///
/// Sample `n` is a pure function of `n`; `nextFrame` just advances `position`.
public struct SyntheticAudioSource: Sendable, Equatable {
    public let channels: AudioChannels
    public let sampleRate: Int
    public let frequency: Double
    /// Peak level as a fraction of full scale.
    public let amplitude: Double
    public let modulationFrequency: Double
    /// How far the envelope dips: 0 is a steady tone, 1 swings down to silence.
    public let modulationDepth: Double
    /// Samples per channel produced so far.
    public private(set) var position = 0

    public init(
        channels: AudioChannels = .mono, sampleRate: Int = 48_000, frequency: Double = 440,
        amplitude: Double = 0.5, modulationFrequency: Double = 0.5, modulationDepth: Double = 0.5
    ) {
        self.channels = channels
        self.sampleRate = sampleRate
        self.frequency = frequency
        self.amplitude = min(max(amplitude, 0), 1)
        self.modulationFrequency = modulationFrequency
        self.modulationDepth = min(max(modulationDepth, 0), 1)
    }

    /// The tone's value at sample index `n` (identical on every channel).
    public func sample(at n: Int) -> Int16 {
        let rate = Double(sampleRate)
        // Reduce to one cycle before scaling by 2π so precision holds over hours of samples.
        let carrier = (Double(n) * frequency / rate).truncatingRemainder(dividingBy: 1)
        let swell = (Double(n) * modulationFrequency / rate).truncatingRemainder(dividingBy: 1)
        let envelope = 1 - modulationDepth * 0.5 * (1 - cos(2 * Double.pi * swell))
        return Int16(amplitude * envelope * sin(2 * Double.pi * carrier) * Double(Int16.max))
    }

    /// The next `samplesPerChannel` samples, interleaved.
    public mutating func nextFrame(samplesPerChannel: Int = 960) -> [Int16] {
        var pcm = [Int16](repeating: 0, count: max(0, samplesPerChannel) * channels.rawValue)
        pcm.withUnsafeMutableBufferPointer { nextFrame(into: $0) }
        return pcm
    }

    /// Fills `pcm` (interleaved) with the next `pcm.count / channels` samples per channel.
    public mutating func nextFrame(into pcm: UnsafeMutableBufferPointer<Int16>) {
        let channelCount = channels.rawValue
        let frames = pcm.count / channelCount
        for i in 0..<frames {
            let value = sample(at: position + i)
            for channel in 0..<channelCount { pcm[i * channelCount + channel] = value }
        }
        position += frames
    }
}
