import Benchmark

#if canImport(Glibc)
import Glibc
#endif

/// The measuring thread's CPU time per forwarded packet (the batch's CPU time over packets × F).
/// Unlike wall clock it leaves out the time other processes took the core, which on the shared 2-core
/// machine is most of the noise; it is also what the limit probe reports (`ns_per_out_thread`), so the
/// two compare directly. The kernel's loopback delivery runs in the sending thread and is included.
/// Per forwarded packet rather than scaled per incoming one so the table prints it in exact
/// nanoseconds (package-benchmark shows custom values of 10,000 and more in thousands).
let threadCPU = BenchmarkMetric.custom(
    "Thread CPU per fwd packet (ns)", polarity: .prefersSmaller, useScalingFactor: false)

/// Records the thread CPU time `nanoseconds` spent on `packets` incoming packets, each sent to `fanOut`.
func recordThreadCPU(_ benchmark: Benchmark, nanoseconds: Int, packets: Int, fanOut: Int) {
    benchmark.measurement(threadCPU, nanoseconds / max(1, packets * fanOut))
}

func threadCPUNanoseconds() -> Int {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return time.tv_sec * 1_000_000_000 + time.tv_nsec
}
