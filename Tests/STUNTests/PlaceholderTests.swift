import Testing
@testable import STUN

@Test func STUNModuleBuilds() {}
