import Testing
@testable import Mux

@Test func MuxModuleBuilds() {}
