import RelayServer

extension RelayService {
    /// Polls until the relay holds `count` participants (or `seconds` pass) and returns what it holds:
    /// leaving and unpublishing run on the relay's worker after the socket message is read, and the whole
    /// suite shares two cores, so a fixed sleep races them.
    func participants(reach count: Int, within seconds: Int = 30) async throws -> Int {
        let deadline = ContinuousClock.now + .seconds(seconds)
        var now = await snapshot().participants
        while now != count, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
            now = await snapshot().participants
        }
        return now
    }
}
