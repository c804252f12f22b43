import Testing
@testable import RTCP
