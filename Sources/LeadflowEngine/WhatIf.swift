/// Two models over the same inputs in one pass, and where they disagree per account: the band
/// each leaves the account in, when each first made it a marketing-qualified lead (an MQL or
/// hand-raiser routing decision), and who each last routed it to. This is how a rule change is
/// reviewed before it ships.
public struct WhatIfComparison: Sendable {
    /// The model under review (its outputs are the ones a replay publishes).
    public private(set) var proposed: Engine
    /// The model running today.
    public private(set) var current: Engine
    private var proposedRouting: [String: RoutingHistory] = [:]
    private var currentRouting: [String: RoutingHistory] = [:]

    struct RoutingHistory: Sendable {
        var firstQualifiedAt: EventTime?
        var lastAssignee: Assignee?
        var decisions = 0

        mutating func record(_ outputs: [EngineOutput]) {
            for case .routingDecision(let decision) in outputs {
                decisions += 1
                lastAssignee = decision.assignee
                if firstQualifiedAt == nil && (decision.trigger == .mql || decision.trigger == .handRaiser) {
                    firstQualifiedAt = decision.at
                }
            }
        }
    }

    public init(proposed: CompiledModel, current: CompiledModel, directory: AccountDirectory, state: EngineState = EngineState()) {
        self.proposed = Engine(model: proposed, directory: directory, state: state)
        self.current = Engine(model: current, directory: directory, state: state)
    }

    /// Applies one input to both models; returns the proposed model's result.
    public mutating func process(_ bytes: UnsafeBufferPointer<UInt8>, clock: EventTime?, task: Int32) -> Engine.Result {
        proposed.currentTask = task
        current.currentTask = task
        let result = proposed.process(bytes, clock: clock)
        let old = current.process(bytes, clock: clock)
        if let account = result.accountID { proposedRouting[account, default: RoutingHistory()].record(result.outputs) }
        if let account = old.accountID { currentRouting[account, default: RoutingHistory()].record(old.outputs) }
        return result
    }

    /// Applies an account-reference record to both models' directories; false when rejected.
    public mutating func applyReference(key: [UInt8]?, value: [UInt8]) -> Bool {
        let applied = proposed.directory.applyReference(key: key, value: value)
        _ = current.directory.applyReference(key: key, value: value)
        if case .failure = applied { return false }
        return true
    }

    /// Every account either model holds, compared; the sample holds the first `sampleSize`
    /// differing accounts by id, each with both explanations.
    public func report(sampleSize: Int = 5) -> WhatIfReport {
        var report = WhatIfReport(currentVersion: current.model.version, proposedVersion: proposed.model.version)
        let accounts = Set(proposed.state.accounts.ids).union(current.state.accounts.ids).sorted()
        report.accountsCompared = accounts.count
        for account in accounts {
            let before = side(of: account, in: current, routing: currentRouting[account])
            let after = side(of: account, in: proposed, routing: proposedRouting[account])
            var kinds: [WhatIfReport.Kind] = []
            if before.band != after.band { kinds.append(.band) }
            if before.firstQualifiedAt != after.firstQualifiedAt { kinds.append(.qualifiedAt) }
            if before.lastAssignee != after.lastAssignee { kinds.append(.assignee) }
            guard !kinds.isEmpty else { continue }
            for kind in kinds { report.counts[kind, default: 0] += 1 }
            report.changedAccounts.append(account)
            if report.sample.count < sampleSize {
                report.sample.append(WhatIfReport.Difference(accountID: account, kinds: kinds, current: before, proposed: after))
            }
        }
        return report
    }

    private func side(of account: String, in engine: Engine, routing: RoutingHistory?) -> WhatIfReport.Side {
        WhatIfReport.Side(
            band: engine.state.accounts[account]?.band ?? .cold, firstQualifiedAt: routing?.firstQualifiedAt,
            lastAssignee: routing?.lastAssignee, decisions: routing?.decisions ?? 0, scores: engine.scores(accountID: account))
    }
}

/// What a proposed model would change, account by account.
public struct WhatIfReport: Sendable {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case band
        /// The first MQL or hand-raiser decision came at another time (or only under one model).
        case qualifiedAt = "mql_time"
        case assignee
    }

    /// One model's view of an account at the end of the range.
    public struct Side: Sendable, Hashable {
        public var band: Band
        public var firstQualifiedAt: EventTime?
        public var lastAssignee: Assignee?
        public var decisions: Int
        public var scores: Scores?
    }

    public struct Difference: Sendable, Hashable {
        public var accountID: String
        public var kinds: [Kind]
        public var current: Side
        public var proposed: Side
    }

    public var currentVersion: String
    public var proposedVersion: String
    public var accountsCompared = 0
    public var counts: [Kind: Int] = [:]
    /// Every account with at least one difference, by id.
    public var changedAccounts: [String] = []
    public var sample: [Difference] = []

    public var text: String {
        var lines = [
            "what-if: proposed model \(proposedVersion) against current \(currentVersion)",
            "  accounts compared: \(accountsCompared); accounts that would change: \(changedAccounts.count)",
        ]
        for kind in Kind.allCases { lines.append("  \(kind.rawValue) differs: \(counts[kind] ?? 0)") }
        for difference in sample {
            lines.append("  \(difference.accountID) [\(difference.kinds.map(\.rawValue).joined(separator: ", "))]")
            for (label, side) in [("current ", difference.current), ("proposed", difference.proposed)] {
                lines.append("    \(label): \(Self.describe(side))")
            }
        }
        return lines.joined(separator: "\n")
    }

    private static func describe(_ side: Side) -> String {
        let qualified = side.firstQualifiedAt.map { "qualified \($0)" } ?? "never qualified"
        let assignee = side.lastAssignee.map { "→ \($0.kind.rawValue) \($0.id)" } ?? "not routed"
        return "\(side.band), \(qualified), \(assignee); " + (side.scores?.explanationText ?? "no state")
    }

    public var json: String {
        var writer = JSONWriter()
        writer.field("current_config_version", currentVersion)
        writer.field("proposed_config_version", proposedVersion)
        writer.field("accounts_compared", accountsCompared)
        writer.field("accounts_changed", changedAccounts.count)
        var counts = JSONWriter()
        for kind in Kind.allCases { counts.field(kind.rawValue, self.counts[kind] ?? 0) }
        writer.field("differences_by_kind", raw: counts.finish())
        writer.field("sample", raw: JSONWriter.array(sample.map { difference in
            var item = JSONWriter()
            item.field("account_id", difference.accountID)
            item.field("differs_in", strings: difference.kinds.map(\.rawValue))
            item.field("current", raw: Self.json(difference.current))
            item.field("proposed", raw: Self.json(difference.proposed))
            return item.finish()
        }))
        return writer.finish()
    }

    private static func json(_ side: Side) -> String {
        var writer = JSONWriter()
        writer.field("band", side.band.description)
        writer.field("first_qualified_at", side.firstQualifiedAt?.description)
        writer.field("assignee", side.lastAssignee.map { "\($0.kind.rawValue):\($0.id)" })
        writer.field("decisions", side.decisions)
        writer.field("scores", raw: side.scores?.explanationJSON ?? "null")
        return writer.finish()
    }
}
