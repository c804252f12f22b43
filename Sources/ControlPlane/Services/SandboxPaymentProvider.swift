import Foundation

/// The built-in processor for development and tests: charges succeed unless `PaymentSandboxRules` decline
/// them; it keeps a ledger so tests can count charges and refunds.
///
/// With a `journalPath` the ledger outlives the process, as a real processor's does: every charge,
/// decline and refund is appended to the file (one JSON object a line) before the call returns, and read
/// back at start. So after a `kill -9` between a charge and the booking's commit, `lookup` still knows the
/// charge was taken. The file is written, not fsynced: it survives the process dying, not a power cut,
/// which is a real processor's side of the line.
public actor SandboxPaymentProvider: PaymentProvider {
    public struct LedgerEntry: Sendable, Equatable {
        public var charge: PaymentCharge
        public var refunded: Bool
    }

    private let rules: PaymentSandboxRules
    private var byKey: [String: ChargeOutcome] = [:]
    private var refundKeys: Set<String> = []
    public private(set) var ledger: [String: LedgerEntry] = [:]
    /// Refund calls still to fail with `.unavailable`: the sandbox's way to stage a processor outage.
    private var refundOutage = 0
    private let journal: FileHandle?

    public init(rules: PaymentSandboxRules, journalPath: String? = nil) {
        self.rules = rules
        guard let journalPath else {
            journal = nil
            return
        }
        try? FileManager.default.createDirectory(
            atPath: (journalPath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        if !FileManager.default.fileExists(atPath: journalPath) {
            FileManager.default.createFile(atPath: journalPath, contents: nil, attributes: [.posixPermissions: 0o600])
        }
        // A torn last line (the process died mid-write) fails to decode and is skipped.
        let text = (try? String(contentsOfFile: journalPath, encoding: .utf8)) ?? ""
        for line in text.split(separator: "\n") {
            guard let record = try? JSONDecoder().decode(JournalRecord.self, from: Data(line.utf8)) else { continue }
            switch record.op {
            case "charge":
                guard let id = record.id, let amount = record.amountCents else { continue }
                let charge = PaymentCharge(id: id, amountCents: amount)
                byKey[record.key] = .charged(charge)
                if ledger[id] == nil { ledger[id] = LedgerEntry(charge: charge, refunded: false) }
            case "decline":
                byKey[record.key] = .declined(record.reason ?? "declined")
            case "refund":
                guard let id = record.id else { continue }
                refundKeys.insert(record.key)
                ledger[id]?.refunded = true
            default: continue
            }
        }
        journal = FileHandle(forWritingAtPath: journalPath)
        _ = try? journal?.seekToEnd()
    }

    public func charge(amountCents: Int64, cardToken: String, idempotencyKey: String) throws(PaymentError) -> PaymentCharge {
        switch byKey[idempotencyKey] {
        case .charged(let existing): return existing
        case .declined(let reason): throw .declined(reason)
        case .notFound, nil: break
        }
        if let reason = rules.declineReason(amountCents: Int(clamping: amountCents), cardToken: cardToken) {
            try append(JournalRecord(op: "decline", key: idempotencyKey, reason: reason))
            byKey[idempotencyKey] = .declined(reason)
            throw .declined(reason)
        }
        let charge = PaymentCharge(id: "ch_sandbox_" + UUID().uuidString.lowercased(), amountCents: amountCents)
        try append(JournalRecord(op: "charge", key: idempotencyKey, id: charge.id, amountCents: amountCents))
        byKey[idempotencyKey] = .charged(charge)
        ledger[charge.id] = LedgerEntry(charge: charge, refunded: false)
        return charge
    }

    public func refund(chargeID: String, idempotencyKey: String) throws(PaymentError) {
        if refundOutage > 0 {
            refundOutage -= 1
            throw .unavailable("sandbox processor outage")
        }
        guard ledger[chargeID] != nil else { throw .unknownCharge(chargeID) }
        if refundKeys.contains(idempotencyKey) { return }
        try append(JournalRecord(op: "refund", key: idempotencyKey, id: chargeID))
        refundKeys.insert(idempotencyKey)
        ledger[chargeID]?.refunded = true
    }

    public func lookup(idempotencyKey: String) -> ChargeOutcome {
        byKey[idempotencyKey] ?? .notFound
    }

    /// The next `count` refund calls fail as if the processor were down.
    public func failNextRefunds(_ count: Int) {
        refundOutage = max(0, count)
    }

    /// Charges taken and not refunded.
    public var capturedCharges: [PaymentCharge] { ledger.values.filter { !$0.refunded }.map(\.charge) }
    public var allCharges: [PaymentCharge] { ledger.values.map(\.charge) }

    private struct JournalRecord: Codable {
        var op: String
        var key: String
        var id: String? = nil
        var amountCents: Int64? = nil
        var reason: String? = nil
    }

    private func append(_ record: JournalRecord) throws(PaymentError) {
        guard let journal else { return }
        do {
            var line = try JSONEncoder().encode(record)
            line.append(UInt8(ascii: "\n"))
            try journal.write(contentsOf: line)
        } catch {
            throw .unavailable("sandbox journal: \(error)")
        }
    }
}
