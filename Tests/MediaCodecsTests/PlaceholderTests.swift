import Testing
@testable import MediaCodecs

@Test func MediaCodecsModuleBuilds() {}
