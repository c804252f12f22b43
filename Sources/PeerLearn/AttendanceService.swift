import Relay
import ServiceLifecycle

/// Runs the attendance bridge in the service group. The relay finishes its event stream only after
/// recording every participant's departure; the bridge drains it, then waits for its own shutdown
/// signal so the group never sees it end early.
struct AttendanceService: Service, CustomStringConvertible {
    let bridge: AttendanceBridge
    let events: AsyncStream<RelayEvent>

    var description: String { "AttendanceService" }

    func run() async throws {
        await bridge.run(events)
        try? await gracefulShutdown()
    }
}
