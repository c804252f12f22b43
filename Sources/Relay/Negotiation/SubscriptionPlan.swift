/// The relay's side of a subscribe connection it offers (the room socket): one slot per m-section, each
/// slot a consumer that carries at most one producer. Slots are reused for the next track of their kind,
/// so a long session's churn never grows the SDP past the most tracks seen at once.
struct SubscriptionPlan {
    struct Slot {
        let mid: String
        let consumer: Consumer
        /// What the last offer said this slot carries, to tell whether a new offer is needed.
        var offered: ObjectIdentifier?
        /// False when the client's answer rejected the m-section: nothing is sent on it.
        var accepted = true
    }

    var slots: [Slot] = []
    /// An offer went out and its answer has not come back: changes wait for the next offer.
    var awaitingAnswer = false
    /// The client has answered at least once: its fingerprint and ufrag are known.
    var answered = false
    /// An ICE restart is under way: the next offer must go out even if no track changed, and its answer
    /// brings the client's new ufrag.
    var restarting = false

    /// Whether the slots' assignments differ from what the last offer told the client.
    var isStale: Bool {
        slots.contains { slot in slot.offered != slot.consumer.source.map(ObjectIdentifier.init) }
    }
}
