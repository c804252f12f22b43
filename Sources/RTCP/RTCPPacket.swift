/// One packet of a compound datagram: its header, where it sits, and a typed view of its contents.
///
/// Borrows the datagram's memory, like `RTCPCompoundPacket`.
public struct RTCPPacket {
    public let header: RTCPHeader
    /// Byte range of the whole packet (header and padding included) within the compound datagram;
    /// use it to rewrite the packet in place through a mutable pointer to the same datagram.
    public let range: Range<Int>
    /// The whole packet, header and padding included.
    public let bytes: UnsafeRawBufferPointer
    /// The packet after the header, padding removed.
    public let body: UnsafeRawBufferPointer

    /// Decodes the packet according to its type and format. Never throws: a body that does not
    /// match its type is reported as `.malformed` so one bad packet does not hide its neighbours.
    public var view: RTCPPacketView {
        do throws(RTCPError) {
            switch header.packetType {
            case .senderReport:
                return .senderReport(try SenderReport(parsing: bytes))
            case .receiverReport:
                return .receiverReport(try ReceiverReport(parsing: bytes))
            case .sourceDescription:
                return .sourceDescription(try SourceDescription(parsing: bytes))
            case .goodbye:
                return .goodbye(try Goodbye(parsing: bytes))
            case .transportFeedback:
                switch header.feedbackFormat {
                case GenericNack.format: return .genericNack(try GenericNack(parsing: bytes))
                case TransportWideFeedback.format:
                    return .transportWideFeedback(try TransportWideFeedback(parsing: bytes))
                default: return .unknown
                }
            case .payloadFeedback:
                switch header.feedbackFormat {
                case PictureLossIndication.format:
                    return .pictureLossIndication(try PictureLossIndication(parsing: bytes))
                case FullIntraRequest.format:
                    return .fullIntraRequest(try FullIntraRequest(parsing: bytes))
                case ReceiverEstimatedMaxBitrate.format:
                    // FMT 15 is any application-layer feedback (RFC 4585 §6.4); only REMB is decoded.
                    guard ReceiverEstimatedMaxBitrate.hasIdentifier(body) else { return .unknown }
                    return .receiverEstimatedMaxBitrate(try ReceiverEstimatedMaxBitrate(parsing: bytes))
                default: return .unknown
                }
            default:
                return .unknown
            }
        } catch {
            return .malformed(error)
        }
    }
}

/// Typed contents of an `RTCPPacket`.
public enum RTCPPacketView {
    case senderReport(SenderReport)
    case receiverReport(ReceiverReport)
    case sourceDescription(SourceDescription)
    case goodbye(Goodbye)
    case genericNack(GenericNack)
    case transportWideFeedback(TransportWideFeedback)
    case pictureLossIndication(PictureLossIndication)
    case fullIntraRequest(FullIntraRequest)
    case receiverEstimatedMaxBitrate(ReceiverEstimatedMaxBitrate)
    /// A type or feedback format this module does not decode; forward or drop it using the
    /// packet's header and range.
    case unknown
    /// A known type whose body is inconsistent.
    case malformed(RTCPError)
}
