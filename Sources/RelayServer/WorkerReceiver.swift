import Relay
import STUN

/// The UDP edge of one worker: when its `WorkerLoop` finds the socket readable, the datagrams waiting are
/// read with `recvmmsg`, each handed to the engine where it landed, and the engine's output leaves in one
/// `sendmmsg` at the end of the wake-up. Confined to the worker's loop.
final class WorkerReceiver {
    let engine: RelayEngine
    let batch: DatagramBatch
    let timer: EngineTimer
    let delays: BatchDelayRecorder
    let reader: DatagramReader
    /// At most this many reads (`DatagramReader.messagesPerRead` each) per wake-up, NIO's own bound, so
    /// timers and signaling on the loop still get their turn under a flood.
    static let readsPerWakeUp = 4

    var coalescedDatagrams: UInt64 { reader.coalescedDatagrams }
    var coalescedReads: UInt64 { reader.coalescedReads }

    init(engine: RelayEngine, batch: DatagramBatch, timer: EngineTimer, delays: BatchDelayRecorder, reader: DatagramReader) {
        self.engine = engine
        self.batch = batch
        self.timer = timer
        self.delays = delays
        self.reader = reader
    }

    func readable() {
        var output = batch
        reader.drain(maxReads: Self.readsPerWakeUp) { bytes, source in
            let now = ContinuousClock.now
            delays.read(at: now)
            engine.handleDatagram(bytes, from: source, now: now, output: &output)
        }
        batch.flush()
        delays.flushed(at: .now)
        timer.engineDidWork()
    }
}
