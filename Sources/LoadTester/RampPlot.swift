import Foundation

/// An SVG chart of a ramp: loss % and relay latency p99 against N, with the bounds drawn in.
public enum RampPlot {
    public static func svg(_ results: [LoadResult], maxLoss: Double, maxP99: Double) -> String {
        let width = 640.0, height = 360.0, left = 60.0, right = 60.0, top = 30.0, bottom = 50.0
        let ns = results.map { Double($0.participants) }
        let xMax = max(ns.max() ?? 1, 1)
        let lossMax = max(results.map(\.lossPercent).max() ?? 0, maxLoss) * 1.2
        let latencyMax = max(results.map(\.latencyP99Milliseconds).max() ?? 0, maxP99) * 1.2
        func x(_ n: Double) -> Double { left + (width - left - right) * n / xMax }
        func yLoss(_ v: Double) -> Double { height - bottom - (height - top - bottom) * v / lossMax }
        func yLatency(_ v: Double) -> Double { height - bottom - (height - top - bottom) * v / latencyMax }
        func polyline(_ points: [(Double, Double)], color: String) -> String {
            let text = points.map { String(format: "%.1f,%.1f", $0.0, $0.1) }.joined(separator: " ")
            return "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(text)\"/>"
                + points.map { String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"\(color)\"/>", $0.0, $0.1) }.joined()
        }
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"12\">"
        svg += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>"
        svg += "<text x=\"\(left)\" y=\"18\">PeerLearn relay lecture ramp: loss (red) and relay latency p99 (blue) vs learners</text>"
        svg += "<line x1=\"\(left)\" y1=\"\(height - bottom)\" x2=\"\(width - right)\" y2=\"\(height - bottom)\" stroke=\"black\"/>"
        svg += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"red\" stroke-dasharray=\"4\"/>",
            left, yLoss(maxLoss), width - right, yLoss(maxLoss))
        svg += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"blue\" stroke-dasharray=\"4\"/>",
            left, yLatency(maxP99), width - right, yLatency(maxP99))
        svg += polyline(results.map { (x(Double($0.participants)), yLoss($0.lossPercent)) }, color: "red")
        svg += polyline(results.map { (x(Double($0.participants)), yLatency($0.latencyP99Milliseconds)) }, color: "blue")
        for n in ns {
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%d</text>", x(n), height - bottom + 16, Int(n))
        }
        svg += "<text x=\"\(width / 2)\" y=\"\(height - 12)\" text-anchor=\"middle\">learners (N)</text>"
        svg += String(format: "<text x=\"8\" y=\"%.1f\" fill=\"red\">%.1f%%</text>", top + 10, lossMax)
        svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" fill=\"blue\">%.1f ms</text>", width - right + 4, top + 10, latencyMax)
        return svg + "</svg>\n"
    }
}
