import NIOCore
import STUN
import Synchronization
import Testing

@testable import RelayServer

#if canImport(Glibc)
import Glibc
#endif

/// The relay worker's own event loop, as NIO's users rely on it: tasks from any thread run on its thread in
/// order, scheduled tasks run at their deadline (or fail when cancelled or when the loop stops), and a
/// watched socket's owner is called while it has something to read.
@Suite struct WorkerLoopTests {
    @Test func tasksFromOtherThreadsRunOnTheLoopInOrder() async throws {
        let loop = try WorkerLoop(name: "test-loop")
        defer { loop.stop() }
        #expect(!loop.inEventLoop)
        let seen = Mutex<[Int]>([])
        for index in 0..<100 {
            loop.execute {
                precondition(loop.inEventLoop)
                seen.withLock { $0.append(index) }
            }
        }
        let onLoop = try await loop.submit { loop.inEventLoop }.get()
        #expect(onLoop)
        #expect(seen.withLock { $0 } == Array(0..<100))
        // A thrown error reaches the future.
        struct Refused: Error {}
        await #expect(throws: Refused.self) { try await loop.submit { throw Refused() }.get() }
    }

    @Test func aTaskHandedInFromTheLoopRunsAfterTheCurrentOne() async throws {
        let loop = try WorkerLoop(name: "test-loop")
        defer { loop.stop() }
        let order = Mutex<[String]>([])
        try await loop.submit {
            loop.execute { order.withLock { $0.append("later") } }
            order.withLock { $0.append("now") }
        }.get()
        try await loop.submit {}.get()
        #expect(order.withLock { $0 } == ["now", "later"])
    }

    @Test func scheduledTasksRunAtTheirDeadlineEarliestFirst() async throws {
        let loop = try WorkerLoop(name: "test-loop")
        defer { loop.stop() }
        let start = NIODeadline.now()
        let fired = Mutex<[(Int, NIODeadline)]>([])
        var futures: [EventLoopFuture<Void>] = []
        // Scheduled out of order, from off the loop and from on it.
        for (index, milliseconds) in [(2, 60), (0, 20), (1, 40)] {
            futures.append(loop.scheduleTask(in: .milliseconds(Int64(milliseconds))) {
                fired.withLock { $0.append((index, .now())) }
            }.futureResult)
        }
        futures.append(try await loop.submit {
            loop.scheduleTask(in: .milliseconds(30)) { fired.withLock { $0.append((9, .now())) } }.futureResult
        }.get())
        for future in futures { try await future.get() }
        let result = fired.withLock { $0 }
        #expect(result.map(\.0) == [0, 9, 1, 2])
        for ((_, at), milliseconds) in zip(result, [20, 30, 40, 60]) {
            #expect(at >= start + .milliseconds(Int64(milliseconds)))
        }
    }

    /// The busy time counts work (here, a task that holds the loop for 50 ms) and not the waits around it.
    @Test func busyTimeCountsWorkNotWaiting() async throws {
        let loop = try WorkerLoop(name: "test-loop")
        defer { loop.stop() }
        let start = try await loop.submit { (loop.busyNanoseconds, loop.wakeUps) }.get()
        try await Task.sleep(for: .milliseconds(200))
        try await loop.submit { usleep(50_000) }.get()
        let end = try await loop.submit { (loop.busyNanoseconds, loop.wakeUps) }.get()
        let busy = end.0 - start.0
        #expect(busy >= 50_000_000)
        #expect(busy < 150_000_000)
        #expect(end.1 > start.1)
    }

    @Test func aCancelledTaskNeverRunsAndItsFutureFails() async throws {
        let loop = try WorkerLoop(name: "test-loop")
        defer { loop.stop() }
        let ran = Atomic<Bool>(false)
        let scheduled = loop.scheduleTask(in: .milliseconds(50)) { ran.store(true, ordering: .relaxed) }
        scheduled.cancel()
        await #expect(throws: EventLoopError.cancelled) { try await scheduled.futureResult.get() }
        // A task due later than the cancelled one still runs, so the loop did not stall on it.
        try await loop.scheduleTask(in: .milliseconds(100)) {}.futureResult.get()
        let didRun = ran.load(ordering: .relaxed)
        #expect(!didRun)
    }

    @Test func stoppingFailsWhatIsScheduledAndDropsLaterWork() async throws {
        let loop = try WorkerLoop(name: "test-loop")
        let scheduled = loop.scheduleTask(in: .seconds(60)) {}
        // As on NIO's loops, a future's callbacks are added on the loop, so they must be before it stops.
        let outcome = Mutex<Result<Void, any Error>?>(nil)
        scheduled.futureResult.whenComplete { result in outcome.withLock { $0 = result } }
        try await loop.submit {}.get()
        await withCheckedContinuation { continuation in
            loop.shutdownGracefully(queue: .global()) { _ in continuation.resume() }
        }
        let failure = outcome.withLock { result -> EventLoopError? in
            guard case .failure(let error) = result else { return nil }
            return error as? EventLoopError
        }
        #expect(failure == .cancelled)
        let ran = Atomic<Bool>(false)
        loop.execute { ran.store(true, ordering: .relaxed) }
        try await Task.sleep(for: .milliseconds(50))
        let didRun = ran.load(ordering: .relaxed)
        #expect(!didRun)
    }

    @Test func aWatchedSocketsOwnerIsCalledUntilItIsDrained() async throws {
        let loop = try WorkerLoop(name: "test-loop")
        defer { loop.stop() }
        let (receiver, sender, port) = try SocketPair.make()
        defer {
            close(receiver.descriptor)
            close(sender.descriptor)
        }
        nonisolated(unsafe) let reader = DatagramReader(socket: receiver.descriptor, offload: false)
        let received = Mutex<[[UInt8]]>([])
        let wakeUps = Atomic<Int>(0)
        try await loop.submit {
            try loop.watch(receiver.descriptor) {
                wakeUps.add(1, ordering: .relaxed)
                // One message per call, so the level-triggered wait must call again for the rest.
                _ = reader.read(maxMessages: 1) { bytes, _ in received.withLock { $0.append(Array(bytes)) } }
            }
        }.get()

        let batch = DatagramBatch(socket: sender.descriptor, family: sender.family, segmentation: false)
        let destination = TransportAddress(ipv4: 127, 0, 0, 1, port: port)
        for index in 0..<3 { [UInt8](repeating: UInt8(index), count: 40).withUnsafeBytes { batch.send($0, to: destination) } }
        batch.flush()
        let deadline = ContinuousClock.now + .seconds(5)
        while received.withLock({ $0.count }) < 3 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(received.withLock { $0.map { $0[0] } } == [0, 1, 2])
        let calls = wakeUps.load(ordering: .relaxed)
        #expect(calls >= 3)

        // Unwatched, the owner is not called again.
        try await loop.submit { loop.unwatch(receiver.descriptor) }.get()
        let before = wakeUps.load(ordering: .relaxed)
        [UInt8](repeating: 9, count: 40).withUnsafeBytes { batch.send($0, to: destination) }
        batch.flush()
        try await Task.sleep(for: .milliseconds(100))
        let after = wakeUps.load(ordering: .relaxed)
        #expect(after == before)
    }

    /// A socket that never drains (its owner reads one datagram a call, and more keep coming) does not starve
    /// work handed in by signaling, nor a due timer: each loop iteration runs them before waiting again.
    @Test func aFloodedSocketLeavesRoomForTasksAndTimers() async throws {
        let loop = try WorkerLoop(name: "test-loop")
        defer { loop.stop() }
        let (receiver, sender, port) = try SocketPair.make()
        defer {
            close(receiver.descriptor)
            close(sender.descriptor)
        }
        nonisolated(unsafe) let reader = DatagramReader(socket: receiver.descriptor, offload: false)
        let reads = Atomic<Int>(0)
        try await loop.submit {
            try loop.watch(receiver.descriptor) {
                // A slow owner, so the flood outlasts the sending of the task below.
                usleep(300)
                reads.add(reader.read(maxMessages: 1) { _, _ in }, ordering: .relaxed)
            }
        }.get()
        let batch = DatagramBatch(socket: sender.descriptor, family: sender.family, segmentation: false)
        let destination = TransportAddress(ipv4: 127, 0, 0, 1, port: port)
        for _ in 0..<2_000 { [UInt8](repeating: 1, count: 100).withUnsafeBytes { batch.send($0, to: destination) } }
        batch.flush()
        try #require(batch.sent == 2_000)
        // Answered while most of the 2,000 datagrams still wait (about 0.6 s of reads), each needing its own
        // wake-up.
        let timer = loop.scheduleTask(in: .milliseconds(1)) { reads.load(ordering: .relaxed) }
        let readByTask = try await loop.submit { reads.load(ordering: .relaxed) }.get()
        let readByTimer = try await timer.futureResult.get()
        #expect(readByTask < 1_000)
        #expect(readByTimer < 1_000)
    }
}
