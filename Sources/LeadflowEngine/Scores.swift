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
    /// Points of one full occurrence of the tally's signal (before decay and repeats), read in
    /// place: a tally passed or iterated by value is copied, retaining and releasing its event
    /// id, on every event.
    func points(of tally: UnsafePointer<SignalTally>) -> Double {
        if tally.pointee.signalClass == .intent { return model.engagement.intentPoints }
        let number = Int(tally.pointee.signalID.raw)
        return number < pointsBySignal.count ? pointsBySignal[number] : 0
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
