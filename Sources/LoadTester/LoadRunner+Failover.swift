import Foundation
import NIOCore

/// Viewers that lose their relay node rejoin as the web app does: when a viewer has received nothing for
/// `rejoinAfterSilence`, it drops its connection, asks the control plane for a fresh room token (which names a
/// live node: the dead one stops heartbeating and its learners are placed afresh) and joins over WHEP again,
/// retrying while the control plane still names a node that does not answer. How long each viewer was
/// without media is the measure of a node failure.
extension LoadRunner {
    func failover(session: ControlPlaneClient.LiveSession, silence: Duration) async throws {
        while !Task.isCancelled {
            try await Task.sleep(for: .milliseconds(100))
            let silent = try await loop.submit { () -> [((token: String, userID: String), ContinuousClock.Instant)] in
                let now = ContinuousClock.now
                var silent: [((token: String, userID: String), ContinuousClock.Instant)] = []
                for viewer in self.participants where viewer.role == .viewer && viewer.channel != nil {
                    guard let last = viewer.lastMediaAt ?? viewer.recoveringSince, now - last > silence,
                        let account = viewer.account
                    else { continue }
                    viewer.channel?.close(promise: nil)
                    viewer.channel = nil
                    self.retire(viewer)
                    silent.append((account, viewer.recoveringSince ?? last))
                }
                return silent
            }.get()
            guard !silent.isEmpty else { continue }
            try await forEachConcurrently(silent) { account, since in
                try await self.rejoin(session: session, account: account, silentSince: since)
            }
        }
    }

    /// Joins again until a node takes the viewer; the new connection remembers since when media was missing.
    private func rejoin(
        session: ControlPlaneClient.LiveSession, account: (token: String, userID: String), silentSince: ContinuousClock.Instant
    ) async throws {
        while !Task.isCancelled {
            do {
                let index = try await joinViewer(session, account: account)
                try await loop.submit {
                    self.participants.first { $0.index == index }?.recoveringSince = silentSince
                }.get()
                return
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                try await Task.sleep(for: .milliseconds(250))
            }
        }
    }

    /// On the loop: a viewer's RTP arrived; the first on a rejoined connection ends its recovery.
    func mediaArrived(at viewer: SimulatedParticipant, now: ContinuousClock.Instant) {
        viewer.lastMediaAt = now
        if let since = viewer.recoveringSince {
            let gap = now - since
            recoveries.append(Double(gap.components.seconds) + Double(gap.components.attoseconds) / 1e18)
            viewer.recoveringSince = nil
        }
    }

    /// A version-2 packet whose payload type is not RTCP's (`SimulatedParticipant.isRTP`).
    static func isRTP(_ bytes: ByteBuffer) -> Bool {
        bytes.withUnsafeReadableBytes(SimulatedParticipant.isRTP)
    }
}
