/// The scores of an account at one moment, and the signals behind them.
public struct Scores: Sendable, Hashable {
    public var fit: Double
    /// Signal points after decay and diminishing returns.
    public var signals: Double
    /// Buying-committee bonus.
    public var committee: Double
    /// Points of the most senior engaged person (negative for students, recruiters, …).
    public var contact: Double
    public var engagement: Double { signals + committee }
    public var composite: Double { fit + signals + committee + contact }
    public var engagedPeople: Int
    public var topSignals: [SignalContribution]
}

/// One signal's share of the score now, for explanations.
public struct SignalContribution: Sendable, Hashable {
    public var signal: String
    public var points: Double
    public var occurredAt: EventTime
    public var eventID: String
}

extension CompiledModel {
    /// Points of one full occurrence of a signal (before decay and repeats).
    /// Points of the tally at `tally`, read in place. A whole tally passed or iterated by value
    /// is copied, retaining and releasing its two strings, on every event (a tenth of bench
    /// core's time at 10,000 accounts, where lists are long). The usual case, a tally holding the
    /// model's own key string for its slot, is recognised by the string's representation alone.
    func points(of tally: UnsafePointer<SignalTally>) -> Double {
        if tally.pointee.signalClass == .intent { return model.engagement.intentPoints }
        let slot = Int(tally.pointee.pointsSlot.index)
        if slot < signalTable.count && StringBits(at: tally, field: SignalTally.signalOffset) == signalKeyBits[slot] {
            return signalTable[slot].points
        }
        let signal = tally.pointee.signal
        if slot < signalTable.count && signalTable[slot].key == signal { return signalTable[slot].points }
        return signalPoints[signal] ?? 0
    }

    func fit(record: AccountRecord?, domain: String) -> Double {
        if competitorDomains.contains(domain) { return model.fit.competitorPoints }
        guard let record else { return 0 }
        let rules = model.fit
        var points = 0.0
        let industry = record.industry.lowercased()
        if icpIndustries.contains(industry) { points += rules.icpIndustryPoints }
        if excludedIndustries.contains(industry) { points += rules.excludedIndustryPoints }
        if let band = rules.employeeBands.first(where: { $0.min <= record.employees && record.employees <= $0.max }) {
            points += band.points
        }
        if let band = rules.revenueBands.first(where: { $0.min <= record.annualRevenue && record.annualRevenue <= ($0.max ?? .infinity) }) {
            points += band.points
        }
        if icpCountries.contains(record.country.uppercased()) { points += rules.icpCountryPoints }
        let technologies = Set(record.technologies.map { $0.lowercased() })
        if !technologies.isDisjoint(with: complementaryTechnologies) { points += rules.complementaryTechnologyPoints }
        for rule in rules.technologyRules where technologies.contains(rule.technology.lowercased()) == rule.present {
            points += rule.points
        }
        return min(100, max(-100, points))
    }

    func scores(of account: AccountState, record: AccountRecord?, at now: EventTime) -> Scores {
        scores(of: account, fit: fit(record: record, domain: account.domain), at: now, explain: true)
    }

    /// Scores as of `now`. Without `explain`, the top signals are left empty: the hot path only
    /// needs the numbers, and explanations are built when a decision is published.
    func scores(of account: AccountState, fit: Double, at now: EventTime, explain: Bool) -> Scores {
        var contributions: [SignalContribution] = []
        var signals = 0.0
        let repeatCurve = self.repeatCurve
        // Read in place: iterating the array by value copied every tally, retaining and
        // releasing its two strings, on every event (a tenth of bench core's time at 10,000
        // accounts, where lists are long).
        account.tallies.withUnsafeBufferPointer { tallies in
            for index in tallies.indices {
                let tally = tallies.baseAddress! + index
                let count = tally.pointee.count.value(at: now, halfLife: halfLife(of: tally.pointee.signalClass))
                let points = self.points(of: tally) * repeatCurve.value(count)
                signals += points
                if explain && abs(points) >= 0.005 {
                    contributions.append(SignalContribution(
                        signal: tally.pointee.signal, points: points, occurredAt: tally.pointee.lastOccurredAt, eventID: tally.pointee.lastEventID))
                }
            }
        }
        if explain { contributions.sort { ($0.points, $1.signal) > ($1.points, $0.signal) } }
        let since = now - committeeWindow
        var people = 0
        var contact = -Double.infinity
        for person in account.people where person.lastSeen >= since {
            people += 1
            contact = max(contact, person.contactPoints)
        }
        var committee = 0.0
        for bonus in model.committee.bonuses where people >= bonus.people { committee = max(committee, bonus.points) }
        return Scores(
            fit: fit, signals: signals, committee: committee, contact: people > 0 ? contact : 0,
            engagedPeople: people, topSignals: explain ? Array(contributions.prefix(5)) : [])
    }

    /// The band after `previous`, with hysteresis: rising needs the threshold, falling needs the
    /// threshold minus the hysteresis, so a score hovering at a line does not flap.
    func band(previous: Band, composite: Double) -> Band {
        let rules = model.bands
        let raw: Band = composite >= rules.hot ? .hot : composite >= rules.warm ? .warm : .cold
        if raw > previous { return raw }
        var band = previous
        if band == .hot && composite < rules.hot - rules.hysteresis { band = .warm }
        if band == .warm && composite < rules.warm - rules.hysteresis { band = .cold }
        return band
    }
}

/// The 16 bytes a `String` value is made of. Equal bits mean the same string (the same
/// storage, or the same small string held inline); different bits say nothing, since equal
/// strings may be stored apart. Reading them needs no retain, where reading the string would.
struct StringBits: Hashable, Sendable {
    var low: UInt64
    var high: UInt64

    init(of string: String) {
        (low, high) = withUnsafeBytes(of: string) { ($0.load(as: UInt64.self), $0.load(fromByteOffset: 8, as: UInt64.self)) }
    }

    /// The bits of the string stored `field` bytes into the value at `base`.
    init<T>(at base: UnsafePointer<T>, field: Int) {
        let raw = UnsafeRawPointer(base) + field
        low = raw.load(as: UInt64.self)
        high = raw.load(fromByteOffset: 8, as: UInt64.self)
    }
}

extension SignalTally {
    static let signalOffset = MemoryLayout<SignalTally>.offset(of: \.signal)!
}
