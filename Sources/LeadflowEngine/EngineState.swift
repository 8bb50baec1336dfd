/// Page views from a visitor no account is known for yet, held until the visitor identifies.
public struct HeldVisitor: Sendable, Hashable {
    public var pageViews: [PageView] = []
    public var lastSeen = EventTime(milliseconds: Int64.min)
    public var task: Int32 = 0
    public init() {}
}

/// A visitor who identified themselves: later anonymous views are credited to their account.
public struct IdentifiedVisitor: Sendable, Hashable {
    public var accountID: String
    public var domain: String
    public var isMatched: Bool
    public var personKey: UInt64
    public var contactPoints: Double
    public var lastSeen: EventTime
    public var task: Int32 = 0
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
    /// Signals credited to an account whose state another task owns (the input's key did not
    /// match its account's partition). They are applied there and counted here.
    public var crossTaskSignals = 0

    public init() {}
}

/// All per-account state of one engine (the daemon keeps one per input partition).
public struct EngineState: Sendable {
    public var accounts = AccountTable()
    public var heldVisitors: [String: HeldVisitor] = [:]
    public var identifiedVisitors: [String: IdentifiedVisitor] = [:]
    public var counters = EngineCounters()
    /// The newest event time applied (offline runs and replay pass it as their clock reading).
    public var newestEventTime: EventTime?

    public init() {}

    /// Removes and returns everything task `task` owns (for a snapshot on revocation).
    public mutating func extract(task: Int32) -> EngineState {
        extract(tasks: [task])[task]!
    }

    /// Removes and returns everything each of `tasks` owns, in one pass over the state (a
    /// rebalance or a shutdown revokes many tasks at once).
    public mutating func extract(tasks: Set<Int32>) -> [Int32: EngineState] {
        var parts: [Int32: EngineState] = [:]
        for task in tasks {
            var part = EngineState()
            part.newestEventTime = newestEventTime
            parts[task] = part
        }
        for (task, table) in accounts.remove(groupedBy: { tasks.contains($0.task) ? $0.task : nil }) { parts[task]!.accounts = table }
        for (visitor, held) in heldVisitors where tasks.contains(held.task) { parts[held.task]!.heldVisitors[visitor] = held }
        for (visitor, identified) in identifiedVisitors where tasks.contains(identified.task) {
            parts[identified.task]!.identifiedVisitors[visitor] = identified
        }
        heldVisitors = heldVisitors.filter { !tasks.contains($0.value.task) }
        identifiedVisitors = identifiedVisitors.filter { !tasks.contains($0.value.task) }
        return parts
    }

    /// A copy of what task `task` owns, leaving the state as it is (for periodic snapshots).
    public func copy(task: Int32) -> EngineState {
        var part = EngineState()
        part.accounts = accounts.filter { $0.task == task }
        part.heldVisitors = heldVisitors.filter { $0.value.task == task }
        part.identifiedVisitors = identifiedVisitors.filter { $0.value.task == task }
        part.newestEventTime = newestEventTime
        return part
    }

    /// Adds a task's state (loaded from its snapshot).
    public mutating func merge(_ part: EngineState) {
        accounts.merge(part.accounts)
        heldVisitors.merge(part.heldVisitors) { _, new in new }
        identifiedVisitors.merge(part.identifiedVisitors) { _, new in new }
        if let newest = part.newestEventTime { newestEventTime = max(newestEventTime ?? newest, newest) }
    }
}
