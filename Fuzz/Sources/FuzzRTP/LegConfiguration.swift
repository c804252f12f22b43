import RTP

/// One subscriber leg as the input's first bytes describe it: the relay's own extension ids, which
/// values `rewrite` is given, which publisher elements are forwarded under which ids, and the payload
/// type and SSRC of an RTX stream.
///
///     0  mid id (0: none)               4  mid length in bytes (the value is "m" repeated)
///     1  transport-wide sequence id     5  RTX payload type (above 127 must be refused)
///     2  abs-send-time id               6...11  three (source id, destination id) pairs to forward
///     3  flags: 1 one-byte form only, 2 write the mid, 4 give a transport-wide sequence number,
///        8 give an abs-send-time
struct LegConfiguration {
    static let length = 12

    let midID: UInt8
    let transportSequenceID: UInt8
    let absoluteSendTimeID: UInt8
    let oneByteFormOnly: Bool
    let includeMid: Bool
    let givesTransportSequence: Bool
    let givesSendTime: Bool
    let midLength: Int
    let rtxPayloadType: UInt8
    let forwarded: [(source: UInt8, destination: UInt8)]

    init(_ bytes: UnsafeRawBufferPointer) {
        midID = bytes[0]
        transportSequenceID = bytes[1]
        absoluteSendTimeID = bytes[2]
        oneByteFormOnly = bytes[3] & 1 != 0
        includeMid = bytes[3] & 2 != 0
        givesTransportSequence = bytes[3] & 4 != 0
        givesSendTime = bytes[3] & 8 != 0
        midLength = Int(bytes[4])
        rtxPayloadType = bytes[5]
        forwarded = [(bytes[6], bytes[7]), (bytes[8], bytes[9]), (bytes[10], bytes[11])]
    }

    /// The mapping, or nil where `HeaderExtensionMapping.init` refuses it (its documented reasons are
    /// checked). Pairs `forward` refuses are left out, after checking why.
    func mapping() -> HeaderExtensionMapping? {
        let ids = [midID, transportSequenceID, absoluteSendTimeID].filter { $0 != 0 }
        let mid = midID == 0 ? nil : (id: midID, value: String(repeating: "m", count: midLength))
        let duplicate = Set(ids).count != ids.count
        let idTooLarge = oneByteFormOnly && ids.contains { $0 > 14 }
        let midTooLong = mid != nil && oneByteFormOnly && (midLength > 16 || midLength == 0)
        let mapping: HeaderExtensionMapping
        do {
            mapping = try HeaderExtensionMapping(
                mid: mid, transportSequenceNumberID: transportSequenceID == 0 ? nil : transportSequenceID,
                absoluteSendTimeID: absoluteSendTimeID == 0 ? nil : absoluteSendTimeID, oneByteFormOnly: oneByteFormOnly)
        } catch {
            switch error {
            case .invalidExtensionID: precondition(duplicate || idTooLarge)
            case .extensionTooLong: precondition(midTooLong && !duplicate && !idTooLarge)
            default: preconditionFailure("HeaderExtensionMapping.init threw \(error)")
            }
            return nil
        }
        precondition(!duplicate && !idTooLarge && !midTooLong, "HeaderExtensionMapping.init accepted a bad leg")
        precondition(mapping.midID == mid?.id && mapping.oneByteFormOnly == oneByteFormOnly)
        var built = mapping
        for (source, destination) in forwarded {
            let taken = (0...255).contains { other in
                UInt8(other) != source && built.destination(for: UInt8(other)) == destination
            }
            let refused = source == 0 || destination == 0 || (oneByteFormOnly && destination > 14) || taken
            do {
                try built.forward(source, as: destination)
                precondition(!refused, "forward(\(source), as: \(destination)) was accepted")
                precondition(built.destination(for: source) == destination)
            } catch {
                precondition(refused && error == .invalidExtensionID, "forward(\(source), as: \(destination)): \(error)")
            }
        }
        return built
    }

    /// The values `rewrite` is given for the relay's per-hop elements, from the packet.
    func transportSequence(for header: RTPHeader) -> UInt16? {
        givesTransportSequence ? header.sequenceNumber &+ 1 : nil
    }

    func sendTime(for header: RTPHeader) -> UInt32? {
        givesSendTime ? header.timestamp & 0x00FF_FFFF : nil
    }
}
