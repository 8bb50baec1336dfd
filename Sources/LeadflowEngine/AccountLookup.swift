/// Read-only views of engine state for operators: one account explained, and the hottest ones.
extension Engine {
    /// The account a key names: an account id held in state, else a domain (normalised, then
    /// resolved as a signal would be: reference record, else the unmatched "new:" account).
    public func accountID(lookingUp key: String) -> String? {
        if state.accounts[key] != nil { return key }
        guard let domain = DomainName.normalize(key) else { return nil }
        if let id = directory.accountID(forDomain: domain), state.accounts[id] != nil { return id }
        let unmatched = AccountState.newLogoPrefix + domain
        return state.accounts[unmatched] != nil ? unmatched : nil
    }

    /// The time scores are reported at: the newest event time applied, so every account's
    /// points show the decay since its own last signal.
    var reportingTime: EventTime? { state.newestEventTime }

    /// One account as JSON: identity, band, routing, scores with top signals (decayed points as
    /// of the newest event time), and surge status per topic.
    public func accountJSON(accountID: String) -> String? {
        guard let account = state.accounts[accountID], let scores = scores(accountID: accountID, at: reportingTime) else { return nil }
        let at = max(reportingTime ?? account.lastEventAt, account.lastEventAt)
        var writer = JSONWriter()
        writer.field("account_id", account.accountID)
        writer.field("account_domain", account.domain)
        writer.field("matched", account.isMatched)
        writer.field("band", account.band.description)
        writer.field("as_of", at.description)
        writer.field("last_event_at", account.lastEventAt.description)
        writer.field("events", account.eventCount)
        writer.field("last_routed_at", account.lastRoutedAt?.description)
        writer.field("task", Int(account.task))
        writer.field("scores", raw: scores.explanationJSON)
        writer.field("surges", raw: JSONWriter.array(account.surges.map { surge in
            var item = JSONWriter()
            item.field("topic", surge.topic)
            item.field("source", surge.source.rawValue)
            item.field("active", surge.active)
            item.field("current", points: surge.lastCurrent)
            item.field("baseline", points: surge.lastBaseline)
            return item.finish()
        }))
        return writer.finish()
    }

    /// The `limit` accounts with the highest composite score as of the newest event time
    /// (ties by id). One pass over every account, keeping only the best `limit`; the pass uses
    /// each account's cached fit when it is current and builds explanations only for the
    /// accounts kept, so it stays cheap at a million accounts.
    public func hottestAccounts(limit: Int) -> [(accountID: String, band: Band, scores: Scores)] {
        guard limit > 0 else { return [] }
        var best: [(account: Int, composite: Double)] = []
        let accounts = state.accounts.values
        for position in accounts.indices {
            let account = accounts[position]
            let at = max(reportingTime ?? account.lastEventAt, account.lastEventAt)
            let fit = account.cachedFit.generation == fitGeneration
                ? account.cachedFit.fit : model.fit(record: directory.record(id: account.accountID), domain: account.domain)
            let composite = model.scores(of: account, fit: fit, at: at, explain: false).composite
            if best.count == limit, let last = best.last, (last.composite, account.accountID) >= (composite, accounts[last.account].accountID) {
                continue
            }
            best.append((position, composite))
            best.sort { ($0.composite, accounts[$1.account].accountID) > ($1.composite, accounts[$0.account].accountID) }
            if best.count > limit { best.removeLast() }
        }
        return best.map { entry in
            let account = accounts[entry.account]
            let at = max(reportingTime ?? account.lastEventAt, account.lastEventAt)
            return (account.accountID, account.band, model.scores(of: account, record: directory.record(id: account.accountID), at: at))
        }
    }

    public func hottestAccountsJSON(limit: Int) -> String {
        JSONWriter.array(hottestAccounts(limit: limit).map { entry in
            var writer = JSONWriter()
            writer.field("account_id", entry.accountID)
            writer.field("band", entry.band.description)
            writer.field("composite", points: entry.scores.composite)
            writer.field("fit", points: entry.scores.fit)
            writer.field("engagement", points: entry.scores.engagement)
            writer.field("top_signal", entry.scores.topSignals.first?.signal)
            return writer.finish()
        })
    }
}
