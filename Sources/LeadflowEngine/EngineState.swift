/// Page views from a visitor no account is known for yet, held until the visitor identifies.
public struct HeldVisitor: Sendable, Hashable {
    public var pageViews: [PageView] = []
    public var lastSeen = EventTime(milliseconds: Int64.min)
}

/// A visitor who identified themselves: later anonymous views are credited to their account.
public struct IdentifiedVisitor: Sendable, Hashable {
    public var accountID: String
    public var domain: String
    public var isMatched: Bool
    public var personKey: UInt64
    public var contactPoints: Double
    public var lastSeen: EventTime
}

/// What the engine counted instead of scoring: nothing is dropped without a count.
public struct EngineCounters: Sendable, Hashable {
    public var applied = 0
    public var rejected = 0
    /// Form types with no points in the model (scored zero).
    public var unknownFormTypes = 0
    /// Page views whose URL matched no category (scored zero).
    public var uncategorizedPageViews = 0
    /// Anonymous page views held for a visitor, released later, or dropped by the hold's bounds.
    public var heldPageViews = 0
    public var releasedPageViews = 0
    public var droppedHeldPageViews = 0
    /// Signals that identify no account (free-mail forms without a known visitor, …).
    public var unresolvedSignals = 0
    /// Signals for domains without a reference record, when the model ignores unmatched accounts.
    public var ignoredUnmatchedSignals = 0
    public var competitorSignals = 0

    public init() {}
}

/// All per-account state of one engine (the daemon keeps one per input partition).
public struct EngineState: Sendable {
    public var accounts: [String: AccountState] = [:]
    public var heldVisitors: [String: HeldVisitor] = [:]
    public var identifiedVisitors: [String: IdentifiedVisitor] = [:]
    public var counters = EngineCounters()
    /// The newest event time applied (offline runs and replay pass it as their clock reading).
    public var newestEventTime: EventTime?

    public init() {}
}
