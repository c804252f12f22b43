import Foundation
import NIOCore
import NIOPosix

/// Sends mail over plain SMTP to a relay (see `SMTPConversation`), one connection per message.
public struct SMTPTransport: EmailTransport {
    public enum SMTPError: Error, Equatable {
        case rejected(String)
        case connectionClosed
        case timedOut
    }

    let host: String
    let port: Int
    let heloName: String
    let timeout: Duration

    public init(host: String, port: Int, heloName: String = "peerlearn.local", timeout: Duration = .seconds(30)) {
        self.host = host
        self.port = port
        self.heloName = heloName
        self.timeout = timeout
    }

    public func send(_ message: EmailMessage) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.converse(message) }
            group.addTask {
                try await Task.sleep(for: self.timeout)
                throw SMTPError.timedOut
            }
            defer { group.cancelAll() }
            try await group.next()
        }
    }

    private func converse(_ message: EmailMessage) async throws {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            // The whole conversation's deadline bounds the connect too (`send` enforces it).
            .connectTimeout(.nanoseconds(Self.nanoseconds(timeout)))
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        try await channel.executeThenClose { inbound, outbound in
            var conversation = SMTPConversation(
                message: message, heloName: heloName, date: Date(), messageID: "\(UUID().uuidString)@\(heloName)")
            var pending = ByteBuffer()
            for try await chunk in inbound {
                pending.writeImmutableBuffer(chunk)
                while let line = Self.readLine(&pending) {
                    switch conversation.receive(line: line) {
                    case nil: continue
                    case .send(let text): try await outbound.write(ByteBuffer(string: text))
                    case .finished: return
                    case .failed(let reason): throw SMTPError.rejected(reason)
                    }
                }
            }
            throw SMTPError.connectionClosed
        }
    }

    /// `duration` in whole nanoseconds, saturating (NIO's `TimeAmount` counts Int64 nanoseconds).
    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        return scaled.addingReportingOverflow(attoseconds / 1_000_000_000).overflow ? .max : scaled + attoseconds / 1_000_000_000
    }

    /// Takes one CRLF-terminated line off the front of `buffer` (without the CRLF), if a whole one is there.
    static func readLine(_ buffer: inout ByteBuffer) -> String? {
        let view = buffer.readableBytesView
        guard let newline = view.firstIndex(of: UInt8(ascii: "\n")) else { return nil }
        guard var bytes = buffer.readBytes(length: newline - view.startIndex + 1) else { return nil }
        // Byte-wise: as a Swift String, "\r\n" is one Character and would not match a "\n" suffix.
        while let last = bytes.last, last == UInt8(ascii: "\n") || last == UInt8(ascii: "\r") { bytes.removeLast() }
        return String(decoding: bytes, as: UTF8.self)
    }
}
