import Testing
@testable import RTCP

@Test func RTCPModuleBuilds() {}
