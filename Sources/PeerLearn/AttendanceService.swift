import Relay
import ServiceLifecycle

/// Runs the attendance bridge in the service group. It ends when the relay's event stream does,
/// which the relay finishes only after recording every participant's departure.
struct AttendanceService: Service {
    let bridge: AttendanceBridge
    let events: AsyncStream<RelayEvent>

    func run() async throws {
        await bridge.run(events)
    }
}
