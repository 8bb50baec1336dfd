import Foundation

/// Hot, warm or cold: what the composite score says sales should do now.
public enum Band: Int, Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    case cold = 0, warm = 1, hot = 2

    public static func < (lhs: Band, rhs: Band) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String {
        switch self {
        case .cold: "cold"
        case .warm: "warm"
        case .hot: "hot"
        }
    }
}

/// The decayed count of one kind of signal on an account (for example `page:pricing`), with the
/// latest occurrence for explanations. Its points come from the model at evaluation time.
public struct SignalTally: Sendable, Hashable {
    /// The signal's name, numbered (see `SignalID`): 48 bytes a tally, not 64.
    public var signalID: SignalID
    public var signalClass: SignalClass
    public var count: DecayedSum
    public var lastEventID: String
    public var lastOccurredAt: EventTime

    public init(signal: String, signalClass: SignalClass, count: DecayedSum, lastEventID: String, lastOccurredAt: EventTime) {
        self.init(signalID: SignalID(signal), signalClass: signalClass, count: count, lastEventID: lastEventID, lastOccurredAt: lastOccurredAt)
    }

    init(signalID: SignalID, signalClass: SignalClass, count: DecayedSum, lastEventID: String, lastOccurredAt: EventTime) {
        self.signalID = signalID
        self.signalClass = signalClass
        self.count = count
        self.lastEventID = lastEventID
        self.lastOccurredAt = lastOccurredAt
    }

    /// The signal's name, as outputs and snapshots spell it.
    public var signal: String { signalID.name }
}

/// Someone from the account who engaged: an email (hashed) or an anonymous visitor.
public struct EngagedPerson: Sendable, Hashable {
    /// FNV-1a of the lower-cased email or `visitor:<id>`; internal only, never output.
    public var key: UInt64
    public var lastSeen: EventTime
    /// From the person's latest form (by event time), so arrival order does not matter.
    public var contactPoints: Double
    public var contactAt: EventTime
}

/// Whether a signal came from the company's own assets or an intent provider.
public enum SurgeSource: String, Sendable, Hashable, Codable {
    case firstParty = "first_party"
    case thirdParty = "third_party"
}

/// Surge tracking for one topic of one account, against the account's own baseline.
public struct TopicSurge: Sendable, Hashable {
    public var topic: String
    public var source: SurgeSource
    public var active = false
    /// Scores seen (third party) or views (first party). 32 bits, beside the two one-byte
    /// fields, so it fills their padding instead of a word of its own; it stops at the maximum.
    public var observations: Int32 = 0
    /// Third party: an exponentially weighted average of past scores. First party: unused.
    public var baseline: Double = 0
    public var lastObservedAt = EventTime(milliseconds: 0)
    /// First party: views decayed with the short ("current") and long (baseline) half-lives.
    public var recent = DecayedSum()
    public var longTerm = DecayedSum()
    /// No new `surge_started` before this time.
    public var cooldownUntil = EventTime(milliseconds: Int64.min)
    /// The figures of the last evaluation (reported in triggers).
    public var lastCurrent: Double = 0
    public var lastBaseline: Double = 0
}

/// Everything the engine keeps about one account.
///
/// A million of these live in memory, so the layout is deliberate: Swift lays fields out in
/// declaration order, and the small fields sit together after the eight-byte ones instead of
/// each padding a word of its own; the three lists share one heap block (`AccountLists`).
/// 96 bytes, from 136.
public struct AccountState: Sendable, Hashable {
    public var accountID: String
    /// The domain, unless it is the tail of a new logo's "new:" id (see `domain`).
    private var storedDomain: String
    /// The tallies, people and surges, read through `tallies`, `people` and `surges` and
    /// changed through `append`, `modify` and `replace`.
    var lists = AccountLists()
    public var lastEventAt = EventTime(milliseconds: Int64.min)
    public var eventCount = 0
    /// The account's fit under the engine's current model and reference data: derived, never
    /// snapshotted, and ignored when states are compared.
    var cachedFit = CachedFit()
    /// The task (input partition number) that owns this account's state.
    public var task: Int32 = 0
    public var lastRoutedAt: EventTime?
    /// False for accounts seen only through signals (no reference record yet): new logos.
    public var isMatched: Bool
    public var band: Band = .cold
    public var lastRoutedBand: Band?
    /// Whether the domain is read from the id. Most accounts at scale are new logos, and a
    /// domain of more than 15 bytes is a heap string of its own: keeping it apart from the id
    /// cost 64 bytes per account.
    private var domainIsInID = false

    public init(accountID: String, domain: String, isMatched: Bool) {
        self.accountID = accountID
        self.storedDomain = domain
        self.isMatched = isMatched
        self.domain = domain
    }

    /// A new logo's state, whose domain is the part of `newLogoID` after "new:".
    init(newLogoID: String, isMatched: Bool) {
        assert(newLogoID.hasPrefix(Self.newLogoPrefix), "a new logo's id starts with \(Self.newLogoPrefix)")
        self.accountID = newLogoID
        self.storedDomain = ""
        self.isMatched = isMatched
        self.domainIsInID = true
    }

    /// The account's domain: for a new logo, the part of its id after "new:", built when asked
    /// (for fit, once per model or reference generation, and for outputs).
    public var domain: String {
        get { domainIsInID ? String(decoding: accountID.utf8.dropFirst(Self.newLogoPrefixLength), as: UTF8.self) : storedDomain }
        set {
            domainIsInID = Self.isNewLogo(id: accountID, domain: newValue)
            storedDomain = domainIsInID ? "" : newValue
        }
    }

    /// Calls `body` with the domain's UTF-8 bytes, building no string.
    public func withDomainUTF8<Result>(_ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        var text = domainIsInID ? accountID : storedDomain
        return text.withUTF8 { bytes in
            body(domainIsInID ? UnsafeBufferPointer(rebasing: bytes.dropFirst(Self.newLogoPrefixLength)) : bytes)
        }
    }

    /// The decayed count of each kind of signal seen, in the order first seen.
    public var tallies: AccountList<SignalTally> { AccountList(lists: lists) }
    /// The people who engaged, at most the model's committee limit.
    public var people: AccountList<EngagedPerson> { AccountList(lists: lists) }
    /// One tracker per (topic, source) seen.
    public var surges: AccountList<TopicSurge> { AccountList(lists: lists) }

    /// Adds a tally, person or surge tracker at the end of its list.
    public mutating func append<Element: AccountListElement>(_ element: Element) { lists.append(element) }

    /// Changes the tally, person or surge tracker at `index` of its list in place.
    mutating func modify<Element: AccountListElement, Result>(
        _ type: Element.Type, at index: Int, _ body: (inout Element) throws -> Result
    ) rethrows -> Result {
        try lists.modify(type, at: index, body)
    }

    /// Replaces one list's elements.
    mutating func replace<Element: AccountListElement>(_ type: Element.Type, with elements: [Element]) {
        lists.replace(type, with: elements)
    }

    /// How an unmatched account's id is made from its domain. Computed, not stored: a stored
    /// static is initialised lazily and checked on every use (2% of a restore).
    static var newLogoPrefix: String { "new:" }
    static var newLogoPrefixLength: Int { 4 }

    /// Whether UTF-8 bytes start with `newLogoPrefix`, spelled out: a restore asks once per
    /// account, and the generic comparison was 4% of it.
    static func startsWithNewLogoPrefix(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        bytes.count >= newLogoPrefixLength && bytes[0] == UInt8(ascii: "n") && bytes[1] == UInt8(ascii: "e")
            && bytes[2] == UInt8(ascii: "w") && bytes[3] == UInt8(ascii: ":")
    }

    private static func isNewLogo(id: String, domain: String) -> Bool {
        var id = id, domain = domain
        return id.withUTF8 { id in
            domain.withUTF8 { domain in
                startsWithNewLogoPrefix(id) && sameBytes(UnsafeBufferPointer(rebasing: id.dropFirst(newLogoPrefixLength)), domain)
            }
        }
    }
}

/// A fit computed for one (model, reference data) generation of an engine. Derived data, so two
/// accounts are equal whatever their caches hold.
struct CachedFit: Sendable, Hashable {
    var fit: Double = 0
    /// The engine generation it was computed for; -1 for none.
    var generation = -1
    /// Whether the account's domain is a competitor's, under the same model.
    var isCompetitor = false

    static func == (lhs: CachedFit, rhs: CachedFit) -> Bool { true }
    func hash(into hasher: inout Hasher) {}
}
