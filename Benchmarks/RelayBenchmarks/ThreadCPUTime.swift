import Benchmark

#if canImport(Glibc)
import Glibc
#endif

/// The measuring thread's CPU time over the measured packets, reported per packet like wall clock.
/// Unlike wall clock it leaves out the time other processes took the core, which on the shared 2-core
/// machine is most of the noise; it is also what the limit probe reports (`ns_per_out_thread`), so the
/// two compare directly. The kernel's loopback delivery runs in the sending thread and is included.
let threadCPU = BenchmarkMetric.custom("Thread CPU (ns)", polarity: .prefersSmaller, useScalingFactor: true)

func threadCPUNanoseconds() -> Int {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return time.tv_sec * 1_000_000_000 + time.tv_nsec
}
