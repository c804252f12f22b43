import Testing
@testable import ICE

@Test func ICEModuleBuilds() {}
