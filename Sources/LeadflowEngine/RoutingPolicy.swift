import Foundation

/// Who works an account: its owner, a rep chosen within a territory's team, or a queue.
public struct Assignee: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable { case owner, rep, queue }
    public var kind: Kind
    public var id: String

    public init(kind: Kind, id: String) {
        self.kind = kind
        self.id = id
    }
}

/// Why an account is routed now.
public enum RouteTrigger: String, Sendable, Hashable {
    /// A hand-raiser form (demo request, pricing inquiry, contact sales).
    case handRaiser = "hand_raiser"
    /// The composite crossed the MQL (hot) threshold.
    case mql
    /// An intent surge started on a well-fitting account (or a new logo).
    case surge
}

extension CompiledModel {
    /// Owner first; else the team of the first matching territory, choosing a rep by weighted
    /// rendezvous hashing (the same account lands on the same rep while the roster is unchanged,
    /// with no shared counter, so replays and many instances agree); else a queue.
    func assignee(for account: AccountState, record: AccountRecord?) -> Assignee {
        let rules = model.routing
        guard let record else { return Assignee(kind: .queue, id: rules.newBusinessQueue) }
        if let owner = record.ownerID, !owner.isEmpty { return Assignee(kind: .owner, id: owner) }
        let country = record.country.uppercased()
        guard let territory = rules.territories.first(where: {
            $0.countries.contains { $0.uppercased() == country } && $0.minEmployees <= record.employees && record.employees <= $0.maxEmployees
        }), let reps = rules.teams[territory.team], !reps.isEmpty
        else { return Assignee(kind: .queue, id: rules.fallbackQueue) }
        var best: (score: Double, id: String)?
        for rep in reps where rep.capacity > 0 {
            let hash = fnv1a64(account.accountID + "\u{1F}" + rep.id)
            // A uniform draw in (0, 1]; -ln(u)/capacity is exponential with rate = capacity.
            let unit = (Double(hash >> 11) + 1) / 9_007_199_254_740_992
            let score = -log(unit) / rep.capacity
            if best == nil || score < best!.score || (score == best!.score && rep.id < best!.id) { best = (score, rep.id) }
        }
        guard let chosen = best else { return Assignee(kind: .queue, id: rules.fallbackQueue) }
        return Assignee(kind: .rep, id: chosen.id)
    }

    func slaMinutes(trigger: RouteTrigger, band: Band) -> Double {
        let rules = model.routing
        if trigger == .handRaiser { return rules.handRaiserSLAMinutes }
        switch band {
        case .hot: return rules.hotSLAMinutes
        case .warm: return rules.warmSLAMinutes
        case .cold: return rules.coldSLAMinutes
        }
    }
}

/// FNV-1a, 64-bit: a fast, stable hash for internal keys (never for privacy).
func fnv1a64(_ text: String, seed: UInt64 = 0xcbf2_9ce4_8422_2325) -> UInt64 {
    var hash = seed
    for byte in text.utf8 {
        hash ^= UInt64(byte)
        hash &*= 0x0000_0100_0000_01b3
    }
    return hash
}
