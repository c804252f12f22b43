import Prometheus
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The standard process metrics Prometheus's own clients export (`process_cpu_seconds_total`,
/// `process_resident_memory_bytes`, `process_open_fds`, `process_max_fds`, `process_start_time_seconds`),
/// read from /proc at scrape time.
final class ProcessMetrics: Sendable {
    static let shared = ProcessMetrics()
    /// CPU seconds already added to the counter (it only moves forward).
    private let reportedCPU = Mutex<Double>(0)

    func update(_ registry: PrometheusCollectorRegistry) {
        if let stat = Self.read("/proc/self/stat"), let close = stat.lastIndex(of: ")") {
            // Fields after the command name; utime and stime are fields 14 and 15 (1-based) in clock ticks,
            // starttime field 22 in ticks since boot.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
            if ticks > 0, fields.count > 19, let user = Double(fields[11]), let system = Double(fields[12]) {
                let cpu = (user + system) / ticks
                let counter = registry.makeCounter(
                    name: "process_cpu_seconds_total", help: "Total user and system CPU time spent in seconds.")
                let delta = reportedCPU.withLock { reported -> Double in
                    defer { reported = max(reported, cpu) }
                    return max(0, cpu - reported)
                }
                if delta > 0 { counter.increment(by: delta) }
                if let start = Double(fields[19]), let boot = Self.bootTime() {
                    registry.makeGauge(
                        name: "process_start_time_seconds", help: "Start time of the process since unix epoch in seconds."
                    ).set(boot + start / ticks)
                }
            }
        }
        if let statm = Self.read("/proc/self/statm") {
            let fields = statm.split(separator: " ")
            if fields.count > 1, let pages = Double(fields[1]) {
                registry.makeGauge(name: "process_resident_memory_bytes", help: "Resident memory size in bytes.")
                    .set(pages * Double(sysconf(Int32(_SC_PAGESIZE))))
            }
        }
        if let directory = opendir("/proc/self/fd") {
            var count = 0
            while readdir(directory) != nil { count += 1 }
            closedir(directory)
            registry.makeGauge(name: "process_open_fds", help: "Number of open file descriptors.")
                .set(Double(max(0, count - 3)))  // ".", ".." and the directory's own descriptor
        }
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 {
            registry.makeGauge(name: "process_max_fds", help: "Maximum number of open file descriptors.")
                .set(Double(limit.rlim_cur))
        }
    }

    /// A small /proc file's text; nil when it cannot be read.
    private static func read(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var filled = 0
        while filled < buffer.count {
            let count = buffer.withUnsafeMutableBytes { raw -> Int in
                guard let base = raw.baseAddress else { return -1 }
                return Glibc.read(descriptor, base + filled, raw.count - filled)
            }
            guard count > 0 else { break }
            filled += count
        }
        guard filled > 0 else { return nil }
        return String(decoding: buffer[..<filled], as: UTF8.self)
    }

    /// Boot time in seconds since the epoch (`btime` in /proc/stat).
    private static func bootTime() -> Double? {
        guard let stat = read("/proc/stat") else { return nil }
        for line in stat.split(separator: "\n") where line.hasPrefix("btime ") {
            return Double(line.dropFirst(6).filter { $0 != " " })
        }
        return nil
    }
}
