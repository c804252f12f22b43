import Testing
@testable import DTLS

@Test func DTLSModuleBuilds() {}
