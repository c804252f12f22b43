import NIOCore
import Relay

/// One worker's clock for its engine: a single NIO task armed at the engine's `pollTimeout()`, re-armed
/// after every read batch and every signaling call. The engine visits only participants with something
/// due, so an idle room costs nothing between its reports. Confined to the worker's event loop.
final class EngineTimer {
    private let loop: any EventLoop
    private let engine: RelayEngine
    private let batch: () -> DatagramBatch?
    private let events: AsyncStream<RelayEvent>.Continuation
    private let roomEvents: AsyncStream<RoomEvent>.Continuation
    private let joinTracer: JoinTracer
    private var task: Scheduled<Void>?
    private var armedAt: ContinuousClock.Instant?

    init(
        loop: any EventLoop, engine: RelayEngine, batch: @escaping () -> DatagramBatch?,
        events: AsyncStream<RelayEvent>.Continuation, roomEvents: AsyncStream<RoomEvent>.Continuation,
        joinTracer: JoinTracer
    ) {
        self.loop = loop
        self.engine = engine
        self.batch = batch
        self.events = events
        self.roomEvents = roomEvents
        self.joinTracer = joinTracer
    }

    /// Hands the engine's events on and arms the timer for its next deadline, if that is earlier than the
    /// one already armed.
    func engineDidWork() {
        while let timeline = engine.pollJoinTimeline() { joinTracer.completed(timeline) }
        while let event = engine.pollEvent() { events.yield(event) }
        while let event = engine.pollRoomEvent() { roomEvents.yield(event) }
        guard let deadline = engine.pollTimeout() else { return }
        if let armedAt, task != nil, armedAt <= deadline { return }
        task?.cancel()
        armedAt = deadline
        let delay = max(.zero, deadline - .now)
        let nanoseconds = delay.components.seconds &* 1_000_000_000 &+ delay.components.attoseconds / 1_000_000_000
        task = loop.scheduleTask(in: .nanoseconds(nanoseconds)) { [self] in fire() }
    }

    private func fire() {
        task = nil
        armedAt = nil
        if var output = batch() {
            engine.handleTimeout(now: .now, output: &output)
            output.flush()
        } else {
            var output = CountingOutput()
            engine.handleTimeout(now: .now, output: &output)
        }
        engineDidWork()
    }

    func cancel() {
        task?.cancel()
        task = nil
    }
}
