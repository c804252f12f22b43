import FuzzSupport
import RoomMessages

// The room WebSocket's client messages: every text frame a member (or anyone holding a room token)
// sends is decoded by RoomClientMessage before RoomConnection acts on it. Frames are UTF-8 text
// (Hummingbird rejects invalid UTF-8), so the input is decoded as UTF-8 the same way.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeRawBufferPointer(start: data, count: size), as: UTF8.self)
    switch RoomClientMessage.decode(text) {
    case .success(.publish(let sdp, let sources)):
        precondition(sdp.utf8.count <= RoomClientMessage.maximumSDPBytes && sources.count <= RoomClientMessage.maximumSources)
    case .success(.answer(let sdp)):
        precondition(sdp.utf8.count <= RoomClientMessage.maximumSDPBytes)
    case .success(let message):
        consume(message)
    case .failure(let refusal):
        precondition(!refusal.reason.isEmpty)
        consume(RoomClientMessage.type(of: text))
    }
    return 0
}

runFuzzer(fuzz)
