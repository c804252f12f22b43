internal import CEpoll
import Dispatch
import NIOCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A relay worker's event loop: a thread of its own that waits in one epoll set on the worker's sockets,
/// an eventfd for work handed in from other threads, and its earliest scheduled deadline.
///
/// The loop reads nothing itself: a readable socket's owner is called and reads it (`DatagramReader`,
/// one `recvmmsg` per wake-up). NIO's loops read a wake-up's first datagram before any handler sees it
/// (a `ByteBuffer`, a boxed envelope and a formatted source address), and the handler then needed a
/// second read to drain the socket; in a seminar, where a wake-up brings one or two datagrams, that was
/// about a fifth of the relay's CPU (README, stop 32).
///
/// It is a NIO `EventLoop`, so futures, `submit`, `NIOLoopBound` and `scheduleTask` work on it as on
/// NIO's own. As with NIO's loops, work handed to it after it stopped is dropped.
package final class WorkerLoop: EventLoop, @unchecked Sendable {
    package struct Failure: Error, CustomStringConvertible {
        package let description: String
    }

    private struct Inbox {
        var tasks: [@Sendable () -> Void] = []
        var stopped = false
    }

    private let epoll: CInt
    private let wakeup: CInt
    private static let wakeupToken = UInt64.max
    private static let eventsPerWait = 64
    private let thread = Atomic<UInt>(0)
    private let inbox = Mutex(Inbox())
    /// Tasks in the inbox, read without its lock so an iteration with none takes no lock.
    private let waiting = Atomic<Int>(0)
    /// The eventfd was signalled and the loop has not consumed it yet: other threads need not signal again.
    private let wakeupPending = Atomic<Bool>(false)
    private let stopRequested = Atomic<Bool>(false)
    private let nextTimerID = Atomic<UInt64>(0)
    private let exited = Mutex<[@Sendable () -> Void]?>([])

    // Confined to the loop's thread.
    /// Time spent outside the wait (handling sockets, tasks and timers), and the waits (each ends with work):
    /// a worker's busy fraction, which is also about where a lecture's relay-added p99 sits as a share of the
    /// frame interval (README, "Why no relay can meet p99 < 2 ms").
    package private(set) var busyNanoseconds: UInt64 = 0
    package private(set) var wakeUps: UInt64 = 0
    private var timers = TimerQueue()
    private var watched: [(descriptor: CInt, onReadable: () -> Void)] = []
    private let tokens: UnsafeMutablePointer<UInt64>

    /// Starts the loop's thread, named `name` (as `top -H` and `perf` show it, at most 15 bytes).
    package init(name: String) throws {
        epoll = cepoll_create()
        guard epoll >= 0 else { throw Failure(description: "epoll_create1: \(String(cString: strerror(errno)))") }
        wakeup = cepoll_make_wakeup()
        guard wakeup >= 0, cepoll_add_readable(epoll, wakeup, Self.wakeupToken) == 0 else {
            let reason = String(cString: strerror(errno))
            Glibc.close(epoll)
            if wakeup >= 0 { Glibc.close(wakeup) }
            throw Failure(description: "eventfd: \(reason)")
        }
        tokens = .allocate(capacity: Self.eventsPerWait)
        // Tasks run only in `run()`, after the thread has noted itself, so `inEventLoop` is right for each.
        let body = Unmanaged.passRetained(ThreadBody { [self] in
            cepoll_name_thread(name)
            thread.store(UInt(pthread_self()), ordering: .sequentiallyConsistent)
            run()
        })
        var handle = pthread_t()
        guard pthread_create(&handle, nil, { argument in
            let body = Unmanaged<ThreadBody>.fromOpaque(argument!).takeRetainedValue()
            body.run()
            return nil
        }, body.toOpaque()) == 0 else {
            body.release()
            tokens.deallocate()
            Glibc.close(epoll)
            Glibc.close(wakeup)
            throw Failure(description: "pthread_create failed")
        }
        pthread_detach(handle)
    }

    deinit {
        tokens.deallocate()
        Glibc.close(epoll)
        Glibc.close(wakeup)
    }

    private final class ThreadBody {
        let run: () -> Void
        init(_ run: @escaping () -> Void) { self.run = run }
    }

    // MARK: EventLoop

    package var inEventLoop: Bool { thread.load(ordering: .relaxed) == UInt(pthread_self()) }

    package func execute(_ task: @escaping @Sendable () -> Void) {
        _ = enqueue(task)
    }

    package func submit<T>(_ task: @escaping @Sendable () throws -> T) -> EventLoopFuture<T> {
        let promise: EventLoopPromise<T> = makePromise()
        _ = enqueue {
            do {
                promise.assumeIsolatedUnsafeUnchecked().succeed(try task())
            } catch {
                promise.fail(error)
            }
        }
        return promise.futureResult
    }

    package func scheduleTask<T>(deadline: NIODeadline, _ task: @escaping @Sendable () throws -> T) -> Scheduled<T> {
        let promise: EventLoopPromise<T> = makePromise()
        let id = nextTimerID.add(1, ordering: .relaxed).newValue
        let entry = TimerQueue.Entry(
            run: {
                do {
                    promise.assumeIsolatedUnsafeUnchecked().succeed(try task())
                } catch {
                    promise.fail(error)
                }
            },
            cancel: { promise.fail(EventLoopError.cancelled) })
        let at = deadline.uptimeNanoseconds
        if inEventLoop {
            timers.insert(entry, at: at, id: id)
        } else {
            _ = enqueue { [self] in timers.insert(entry, at: at, id: id) }
        }
        return Scheduled(promise: promise) { [self] in
            if inEventLoop {
                timers.remove(id)?.cancel()
            } else {
                execute { [self] in timers.remove(id)?.cancel() }
            }
        }
    }

    package func scheduleTask<T>(in delay: TimeAmount, _ task: @escaping @Sendable () throws -> T) -> Scheduled<T> {
        scheduleTask(deadline: .now() + delay, task)
    }

    package func shutdownGracefully(queue: DispatchQueue, _ callback: @escaping @Sendable ((any Error)?) -> Void) {
        let done: @Sendable () -> Void = { queue.async { callback(nil) } }
        let alreadyExited = exited.withLock { waiters -> Bool in
            guard waiters != nil else { return true }
            waiters!.append(done)
            return false
        }
        if alreadyExited { return done() }
        stop()
    }

    // MARK: Sockets

    /// Calls `onReadable` on the loop whenever `descriptor` has something to read (level-triggered: until
    /// it is drained). Call on the loop; the descriptor stays its owner's to read and close.
    package func watch(_ descriptor: CInt, onReadable: @escaping () -> Void) throws {
        preconditionInEventLoop()
        guard cepoll_add_readable(epoll, descriptor, UInt64(descriptor)) == 0 else {
            throw Failure(description: "epoll_ctl add \(descriptor): \(String(cString: strerror(errno)))")
        }
        watched.append((descriptor, onReadable))
    }

    /// Stops calling the descriptor's handler; call on the loop, before closing the descriptor.
    package func unwatch(_ descriptor: CInt) {
        preconditionInEventLoop()
        guard let index = watched.firstIndex(where: { $0.descriptor == descriptor }) else { return }
        watched.remove(at: index)
        _ = cepoll_remove(epoll, descriptor)
    }

    /// Asks the thread to finish: it runs the tasks already handed in, fails the scheduled ones, and exits.
    /// Work handed in afterwards is dropped.
    package func stop() {
        stopRequested.store(true, ordering: .sequentiallyConsistent)
        signal()
    }

    // MARK: The loop

    /// Adds a task for the loop; false once the loop has stopped.
    private func enqueue(_ task: @escaping @Sendable () -> Void) -> Bool {
        let accepted = inbox.withLock { inbox -> Bool in
            guard !inbox.stopped else { return false }
            inbox.tasks.append(task)
            waiting.add(1, ordering: .sequentiallyConsistent)
            return true
        }
        if accepted, !inEventLoop { signal() }
        return accepted
    }

    private func signal() {
        guard !wakeupPending.exchange(true, ordering: .sequentiallyConsistent) else { return }
        _ = cepoll_signal(wakeup)
    }

    private func runTasks() {
        guard waiting.load(ordering: .sequentiallyConsistent) > 0 else { return }
        let tasks = inbox.withLock { inbox in
            waiting.store(0, ordering: .sequentiallyConsistent)
            defer { inbox.tasks.removeAll(keepingCapacity: true) }
            return inbox.tasks
        }
        for task in tasks { task() }
    }

    private func run() {
        var workStarted = NIODeadline.now().uptimeNanoseconds
        while !stopRequested.load(ordering: .sequentiallyConsistent) {
            runTasks()
            // Each is taken out before it runs: a task may schedule or cancel others.
            let due = NIODeadline.now().uptimeNanoseconds
            while let task = timers.popDue(now: due) { task.run() }
            let now = NIODeadline.now().uptimeNanoseconds
            busyNanoseconds &+= now &- workStarted
            var timeout: Int64 = -1
            if waiting.load(ordering: .sequentiallyConsistent) > 0 {
                timeout = 0
            } else if let next = timers.nextDeadline {
                timeout = next > now ? Int64(clamping: next - now) : 0
            }
            let ready = Int(cepoll_wait(epoll, tokens, CInt(Self.eventsPerWait), timeout))
            workStarted = NIODeadline.now().uptimeNanoseconds
            wakeUps &+= 1
            for index in 0..<max(0, ready) {
                let token = tokens[index]
                if token == Self.wakeupToken {
                    // Consume first, then clear: a signal sent in between leaves the eventfd readable.
                    cepoll_consume(wakeup)
                    wakeupPending.store(false, ordering: .sequentiallyConsistent)
                } else if let entry = watched.first(where: { UInt64($0.descriptor) == token }) {
                    entry.onReadable()
                }
            }
        }
        inbox.withLock { $0.stopped = true }
        runTasks()
        for entry in timers.removeAll() { entry.cancel() }
        watched.removeAll()
        let waiters = exited.withLock { waiters in
            defer { waiters = nil }
            return waiters ?? []
        }
        for waiter in waiters { waiter() }
    }
}

/// The loop's scheduled tasks: a binary min-heap of (deadline, id), and the live entries by id. A cancelled
/// task leaves its heap node behind until its deadline comes round, when the node finds no entry.
private struct TimerQueue {
    struct Entry {
        let run: @Sendable () -> Void
        let cancel: @Sendable () -> Void
    }

    private var heap: [(deadline: UInt64, id: UInt64)] = []
    private var live: [UInt64: Entry] = [:]

    var nextDeadline: UInt64? {
        mutating get {
            while let top = heap.first, live[top.id] == nil { pop() }
            return heap.first?.deadline
        }
    }

    mutating func insert(_ entry: Entry, at deadline: UInt64, id: UInt64) {
        live[id] = entry
        heap.append((deadline, id))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.earlier(heap[child], heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    mutating func remove(_ id: UInt64) -> Entry? {
        live.removeValue(forKey: id)
    }

    /// The earliest task due by `now` (same deadline: the first scheduled), taken out of the queue.
    mutating func popDue(now: UInt64) -> Entry? {
        while let top = heap.first, top.deadline <= now {
            pop()
            if let entry = live.removeValue(forKey: top.id) { return entry }
        }
        return nil
    }

    mutating func removeAll() -> [Entry] {
        defer {
            live.removeAll()
            heap.removeAll()
        }
        return Array(live.values)
    }

    private mutating func pop() {
        heap.swapAt(0, heap.count - 1)
        heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var first = parent
            if left < heap.count, Self.earlier(heap[left], heap[first]) { first = left }
            if right < heap.count, Self.earlier(heap[right], heap[first]) { first = right }
            guard first != parent else { return }
            heap.swapAt(parent, first)
            parent = first
        }
    }

    private static func earlier(_ a: (deadline: UInt64, id: UInt64), _ b: (deadline: UInt64, id: UInt64)) -> Bool {
        a.deadline != b.deadline ? a.deadline < b.deadline : a.id < b.id
    }
}
