import Testing
@testable import VP8

@Test func VP8ModuleBuilds() {}
