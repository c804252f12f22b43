/// Shared typed access to the `a=` lines of a session or a media section.
///
/// Several attributes (ICE credentials, fingerprint, setup, extmap, direction) are legal at both
/// levels (RFC 8839 §5.4, RFC 8122 §5, RFC 8285 §8, RFC 8866 §6.7), so the accessors live here once.
/// Getters skip values that do not parse; a parsed description has already had them validated.
public protocol AttributeContainer {
    var attributes: [Attribute] { get set }
}

extension AttributeContainer {
    // MARK: Generic access

    /// Every attribute named `name`, in order.
    public func attributes(named name: String) -> [Attribute] {
        attributes.filter { $0.name == name }
    }

    /// Every parseable attribute of type `Value`, in order.
    public func values<Value: SDPAttributeValue>(_: Value.Type = Value.self) -> [Value] {
        attributes.compactMap { $0.typed(as: Value.self) }
    }

    /// The first parseable attribute of type `Value`.
    public func firstValue<Value: SDPAttributeValue>(_: Value.Type = Value.self) -> Value? {
        for attribute in attributes {
            if let value = attribute.typed(as: Value.self) { return value }
        }
        return nil
    }

    public func contains(_ flag: FlagAttribute) -> Bool {
        attributes.contains { $0.name == flag.rawValue }
    }

    public mutating func append<Value: SDPAttributeValue>(_ value: Value) {
        attributes.append(Attribute(value))
    }

    public mutating func append(_ flag: FlagAttribute) {
        attributes.append(Attribute(flag))
    }

    /// Sets or clears a property attribute; an added one goes at the end.
    public mutating func set(_ flag: FlagAttribute, _ present: Bool) {
        if present {
            if !contains(flag) { append(flag) }
        } else {
            attributes.removeAll { $0.name == flag.rawValue }
        }
    }

    public mutating func removeAll(named name: String) {
        attributes.removeAll { $0.name == name }
    }

    /// Replaces the first `name` attribute's value in place (dropping later duplicates), appends when
    /// absent, removes all when `value` is nil. Keeps line order stable for single-valued attributes.
    public mutating func replaceAttribute(named name: String, value: String?) {
        replaceAll(where: { $0.name == name }, with: value.map { Attribute(name: name, value: $0) })
    }

    /// Puts `replacement` where the first match was, drops every other match; appends if none matched.
    private mutating func replaceAll(where matches: (Attribute) -> Bool, with replacement: Attribute?) {
        var kept: [Attribute] = []
        kept.reserveCapacity(attributes.count + 1)
        var placed = replacement == nil
        for attribute in attributes {
            if matches(attribute) {
                if !placed, let replacement {
                    kept.append(replacement)
                    placed = true
                }
            } else {
                kept.append(attribute)
            }
        }
        if !placed, let replacement { kept.append(replacement) }
        attributes = kept
    }

    // MARK: ICE (RFC 8839)

    /// `a=ice-ufrag` (RFC 8839 §5.4).
    public var iceUfrag: String? {
        get { attributes.first { $0.name == "ice-ufrag" }?.value }
        set { replaceAttribute(named: "ice-ufrag", value: newValue) }
    }

    /// `a=ice-pwd` (RFC 8839 §5.4).
    public var icePwd: String? {
        get { attributes.first { $0.name == "ice-pwd" }?.value }
        set { replaceAttribute(named: "ice-pwd", value: newValue) }
    }

    /// `a=ice-options` tokens (RFC 8839 §5.6); empty when absent.
    public var iceOptions: [ICEOption] {
        get {
            guard let value = attributes.first(where: { $0.name == "ice-options" })?.value else { return [] }
            return value.split(separator: " ").map { ICEOption(rawValue: String($0)) }
        }
        set {
            replaceAttribute(
                named: "ice-options", value: newValue.isEmpty ? nil : newValue.map(\.rawValue).joined(separator: " "))
        }
    }

    // MARK: DTLS (RFC 8842)

    public var fingerprints: [Fingerprint] { values() }

    public var setup: SetupRole? {
        get { firstValue() }
        set { replaceAttribute(named: SetupRole.attributeName, value: newValue?.attributeValue) }
    }

    // MARK: RTP

    public var extensionMaps: [ExtensionMap] { values() }

    /// The explicit direction attribute, if any; see `SessionDescription.direction(of:)` for the
    /// effective one (RFC 8866 §6.7: default `sendrecv`, session level applies to all media).
    public var direction: MediaDirection? {
        get {
            for attribute in attributes where attribute.value == nil {
                if let direction = MediaDirection(rawValue: attribute.name) { return direction }
            }
            return nil
        }
        set {
            replaceAll(
                where: { $0.value == nil && MediaDirection(rawValue: $0.name) != nil },
                with: newValue.map { Attribute(name: $0.rawValue) })
        }
    }
}
