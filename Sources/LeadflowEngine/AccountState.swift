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
    public var signal: String
    public var signalClass: SignalClass
    /// Where the model keeps this signal's points: derived, never snapshotted, ignored when
    /// tallies are compared. It sits in the padding after `signalClass`, so it costs no memory.
    var pointsSlot = PointsSlot()
    public var count: DecayedSum
    public var lastEventID: String
    public var lastOccurredAt: EventTime
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
    /// Third party: an exponentially weighted average of past scores. First party: unused.
    public var baseline: Double = 0
    public var lastObservedAt = EventTime(milliseconds: 0)
    public var observations = 0
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
public struct AccountState: Sendable, Hashable {
    public var accountID: String
    public var domain: String
    /// False for accounts seen only through signals (no reference record yet): new logos.
    public var isMatched: Bool
    public var tallies: [SignalTally] = []
    public var people: [EngagedPerson] = []
    public var surges: [TopicSurge] = []
    public var band: Band = .cold
    public var lastRoutedAt: EventTime?
    public var lastRoutedBand: Band?
    public var lastEventAt = EventTime(milliseconds: Int64.min)
    public var eventCount = 0
    /// The task (input partition number) that owns this account's state.
    public var task: Int32 = 0
    /// The account's fit under the engine's current model and reference data: derived, never
    /// snapshotted, and ignored when states are compared.
    var cachedFit = CachedFit()

    public init(accountID: String, domain: String, isMatched: Bool) {
        self.accountID = accountID
        self.domain = domain
        self.isMatched = isMatched
    }
}

/// A position in `CompiledModel.signalTable`, checked against the signal's key before use, so a
/// slot from another model (after a reload) or none (after a restore) only costs the slower
/// lookup by key. Scoring reads every tally's points on every event; looking each up by key
/// hashed the key each time.
struct PointsSlot: Sendable, Hashable {
    var index: UInt8 = .max

    static func == (lhs: PointsSlot, rhs: PointsSlot) -> Bool { true }
    func hash(into hasher: inout Hasher) {}
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
