import Foundation
@testable import MediaCodecs

/// Measurements the tests compute themselves, so pass/fail never rests on the codec's own reporting.
enum SignalMetrics {
    /// Peak signal-to-noise ratio over all three planes, in dB (peak 255).
    static func psnr(_ a: I420Frame, _ b: I420Frame) -> Double {
        precondition(a.data.count == b.data.count)
        var squaredError = 0.0
        for i in a.data.indices {
            let d = Double(a.data[i]) - Double(b.data[i])
            squaredError += d * d
        }
        let mse = squaredError / Double(a.data.count)
        return mse == 0 ? .infinity : 10 * log10(255 * 255 / mse)
    }

    static func rms(_ samples: ArraySlice<Int16>) -> Double {
        guard !samples.isEmpty else { return 0 }
        let sum = samples.reduce(0.0) { $0 + Double($1) * Double($1) }
        return (sum / Double(samples.count)).squareRoot()
    }

    /// Magnitude of one DFT bin at `frequency` (Goertzel), normalised by length.
    static func magnitude(of samples: ArraySlice<Int16>, at frequency: Double, sampleRate: Double) -> Double {
        let omega = 2 * Double.pi * frequency / sampleRate
        let coefficient = 2 * cos(omega)
        var s1 = 0.0, s2 = 0.0
        for sample in samples {
            let s0 = Double(sample) + coefficient * s1 - s2
            s2 = s1
            s1 = s0
        }
        let power = s1 * s1 + s2 * s2 - coefficient * s1 * s2
        return power.squareRoot() / Double(samples.count)
    }

    /// Takes every `stride`-th sample starting at `channel`: one channel of interleaved PCM.
    static func channel(_ channel: Int, of interleaved: [Int16], channels: Int) -> [Int16] {
        Swift.stride(from: channel, to: interleaved.count, by: channels).map { interleaved[$0] }
    }
}

/// Deterministic pseudo-random bytes (SplitMix64) for garbage-input tests.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
