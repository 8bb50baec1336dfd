/// The scoring, surge and routing core: `(state, event, model) -> (state', outputs)`.
///
/// Deterministic: time comes only from event timestamps (and the clock reading the caller
/// passes for sanity checks), output ids derive from the input history, and nothing here does
/// I/O. Live processing, replay and recovery therefore produce the same outputs.
public struct Engine: Sendable {
    public private(set) var model: CompiledModel
    public var directory: AccountDirectory
    public var state: EngineState
    /// The task (input partition number) new state is created for; the daemon sets it per input.
    public var currentTask: Int32 = 0
    /// URL meanings are derived per model and cached (bounded); fits are cached in each account
    /// against `fitGeneration`.
    private var pageMeanings = PageMeaningCache()

    public init(model: CompiledModel, directory: AccountDirectory = AccountDirectory(), state: EngineState = EngineState()) {
        self.model = model
        self.directory = directory
        self.state = state
    }

    /// Swaps in a new model (config reload); state is kept and later events use the new model.
    public mutating func replaceModel(_ model: CompiledModel) {
        self.model = model
        pageMeanings.removeAll()
    }

    /// Changes whenever the model or the reference data does, so a cached fit is stale.
    var fitGeneration: Int { model.serial << 40 | directory.revision }

    /// An account's scores and top signals as of `time` (default: its latest event), for
    /// explanations and the admin endpoint.
    public func scores(accountID: String, at time: EventTime? = nil) -> Scores? {
        guard let account = state.accounts[accountID] else { return nil }
        return model.scores(of: account, record: directory.record(id: accountID), at: max(time ?? account.lastEventAt, account.lastEventAt))
    }

    /// The result of one input.
    public struct Result: Sendable {
        public enum Outcome: String, Sendable { case applied, held, unresolved, ignored, rejected }
        public var outcome: Outcome
        public var outputs: [EngineOutput] = []
        public var rejection: Rejection?
        /// The account the signal was credited to, when it was.
        public var accountID: String?
        /// The input's `type` when it decoded (for reports).
        public var eventType: String?
    }

    /// Decodes and applies one message. `clock` is the caller's reading of the current time
    /// (the daemon passes the input record's Kafka timestamp, so replay sees the same reading;
    /// offline runs pass the time they started or a fixed `--clock`): events stamped further
    /// past it than `max_future_skew_minutes` are rejected, so one event dated 2099 cannot wreck
    /// decay for everyone after it. Events older than `state_horizon_days` before the newest
    /// event time already applied are rejected too. A nil clock skips the future check.
    public mutating func process(_ bytes: [UInt8], clock: EventTime?) -> Result {
        bytes.withUnsafeBufferPointer { process($0, clock: clock) }
    }

    public mutating func process(_ bytes: UnsafeBufferPointer<UInt8>, clock: EventTime?) -> Result {
        switch EventDecoder.decode(bytes) {
        case .success(let event): return apply(event, clock: clock)
        case .failure(let rejection):
            state.counters.rejected += 1
            return Result(outcome: .rejected, rejection: rejection)
        }
    }

    public mutating func apply(_ event: InputEvent, clock: EventTime?) -> Result {
        apply(event, clock: clock, identified: nil)
    }

    /// `identified` is `identify(event)` computed earlier against the same model and reference
    /// data (the batch path does so ahead of time), or nil to work it out here.
    ///
    /// The event is consumed: taking its payload out of the enum then moves it, where a borrowed
    /// event's payload was copied, retaining and releasing each of its strings.
    mutating func apply(_ event: consuming InputEvent, clock: EventTime?, identified: consuming Resolution?) -> Result {
        let occurredAt = event.occurredAt
        let typeName = event.typeName
        if let rejection = timeRejection(occurredAt, clock: clock) {
            state.counters.rejected += 1
            return Result(outcome: .rejected, rejection: rejection, eventType: typeName)
        }
        let resolution = (consume identified) ?? identify(event)
        var result: Result
        switch consume event {
        case .pageView(let view): result = applyPageView(view, resolution: resolution)
        case .intentSurge(let surge): result = applyIntent(surge, resolution: resolution)
        case .formSubmission(let form): result = applyForm(form, resolution: resolution)
        }
        if result.outcome != .rejected {
            state.newestEventTime = max(state.newestEventTime ?? occurredAt, occurredAt)
        }
        result.eventType = typeName
        return result
    }

    private func timeRejection(_ time: EventTime, clock: EventTime?) -> Rejection? {
        let rules = model.model.input
        if let clock, time > clock + .minutes(rules.maxFutureSkewMinutes) {
            return Rejection(
                .futureTimestamp, field: "occurred_at",
                expected: "a time at most \(JSONWriter.format(points: rules.maxFutureSkewMinutes)) minutes after \(clock)",
                found: time.description)
        }
        if let newest = state.newestEventTime, time < newest - .days(rules.stateHorizonDays) {
            return Rejection(
                .beyondHorizon, field: "occurred_at",
                expected: "a time within \(JSONWriter.format(points: rules.stateHorizonDays)) days before the newest event applied (\(newest))",
                found: time.description)
        }
        return nil
    }

    // MARK: Identity

    struct AccountRef {
        var id: String
        var domain: String
        var isMatched: Bool
        /// `AccountIndex.hash(id)`, when already computed.
        var idHash: UInt32?
    }

    /// Which account an event names through the reference data and the model alone: its
    /// domain, email or IP. It reads no account state, so it can be worked out ahead of applying
    /// (a page view that resolves to nothing here may still be credited through its visitor).
    ///
    /// The event is borrowed, so matching its case binds the payload without copying it (a
    /// copy retained and released each of a page view's strings).
    func identify(_ event: borrowing InputEvent) -> Resolution {
        identify(event, first: firstDomainLookup(event))
    }

    /// `identify`, given `firstDomainLookup(event)` worked out earlier (a batch works it out a
    /// step ahead, to ask for the reference data's slot before it is read).
    func identify(_ event: borrowing InputEvent, first: DomainLookup?) -> Resolution {
        switch event {
        case .pageView(let view):
            // The upstream account domain, else the visitor's email domain: `first`.
            var resolution = resolve(first)
            if case .unresolved = resolution, view.accountDomain != nil, let email = view.email, let domain = DomainName.ofEmail(email) {
                resolution = resolve(DomainLookup(domain))
            }
            if case .unresolved = resolution, let ip = view.ip, let id = model.ipRanges.account(for: ip), let found = resolve(accountID: id) {
                resolution = .account(found)
            }
            return resolution
        case .intentSurge, .formSubmission:
            return resolve(first)
        }
    }

    /// A normalised domain with its `DomainMap` hash.
    struct DomainLookup {
        var domain: String
        var hash: UInt32

        init?(_ raw: String) {
            guard let domain = DomainName.normalize(raw) else { return nil }
            self.domain = domain
            self.hash = DomainMap<String>.hash(domain)
        }
    }

    /// The first domain `identify` looks up for this event, normalised and hashed: a page
    /// view's account domain (else its email's), an intent score's account domain, a form's
    /// email domain. Nil when there is none or it is not a domain.
    func firstDomainLookup(_ event: borrowing InputEvent) -> DomainLookup? {
        switch event {
        case .pageView(let view):
            if let domain = view.accountDomain { return DomainLookup(domain) }
            return view.email.flatMap(DomainName.ofEmail).flatMap(DomainLookup.init)
        case .intentSurge(let intent):
            return DomainLookup(intent.accountDomain)
        case .formSubmission(let form):
            return DomainName.ofEmail(form.email).flatMap(DomainLookup.init)
        }
    }

    enum Resolution {
        case account(AccountRef)
        case ignored
        case unresolved
    }

    /// A normalised domain to an account: the reference record owning it, else an unmatched
    /// ("new logo") account when the model tracks them.
    private func resolve(_ lookup: DomainLookup?) -> Resolution {
        guard let lookup else { return .unresolved }
        // One hash for both questions (see `DomainMap`).
        let (domain, hash) = (lookup.domain, lookup.hash)
        if model.freeMailDomains.contains(domain, hash: hash) { return .unresolved }
        if let known = directory.account(forDomain: domain, hash: hash) {
            return .account(AccountRef(id: known.accountID, domain: known.domain, isMatched: true))
        }
        // Competitors are tracked (never routed) even when unmatched accounts are ignored; when
        // they are tracked anyway, the competitor list need not be consulted here.
        switch model.model.identity.unmatchedAccounts {
        case .track: return .account(AccountRef(id: AccountState.newLogoPrefix + domain, domain: domain, isMatched: false))
        case .ignore where model.competitorDomains.contains(domain): return .account(AccountRef(id: AccountState.newLogoPrefix + domain, domain: domain, isMatched: false))
        case .ignore: return .ignored
        }
    }

    private func resolve(accountID: String) -> AccountRef? {
        guard let record = directory.record(id: accountID) else { return nil }
        let domain = record.domains.lazy.compactMap(DomainName.normalize).first ?? accountID
        return AccountRef(id: accountID, domain: domain, isMatched: true)
    }

    private mutating func count(_ resolution: Resolution) -> Result {
        switch resolution {
        case .ignored:
            state.counters.ignoredUnmatchedSignals += 1
            return Result(outcome: .ignored)
        default:
            state.counters.unresolvedSignals += 1
            return Result(outcome: .unresolved)
        }
    }

    // MARK: Signals

    private mutating func applyPageView(_ view: PageView, resolution identified: consuming Resolution) -> Result {
        var person = view.email.map { PersonSignal(key: fnv1a64($0.lowercased()), contactPoints: 0, email: $0, role: nil) }
            ?? PersonSignal(key: fnv1a64(view.visitorID, seed: visitorKeySeed), contactPoints: 0, email: nil, role: nil)
        var resolution = identified
        if case .unresolved = resolution, let visitor = state.identifiedVisitors[view.visitorID] {
            resolution = .account(AccountRef(id: visitor.accountID, domain: visitor.domain, isMatched: visitor.isMatched))
            person = PersonSignal(key: visitor.personKey, contactPoints: visitor.contactPoints, email: nil, role: nil)
            state.identifiedVisitors[view.visitorID]?.lastSeen = max(visitor.lastSeen, view.occurredAt)
        }
        switch resolution {
        case .account(let ref):
            return creditPageView(view, to: ref, person: person, evaluate: true)
        case .unresolved:
            hold(view)
            return Result(outcome: .held)
        case .ignored:
            return count(resolution)
        }
    }

    /// Credits a page view to an account: its category's points and its surge topic, if any.
    private mutating func creditPageView(_ view: PageView, to ref: AccountRef, person: PersonSignal, evaluate: Bool) -> Result {
        let meaning = pageMeaning(view.url)
        if meaning.signal == nil { state.counters.uncategorizedPageViews += 1 }
        return credit(
            ref, eventID: view.eventID, at: view.occurredAt,
            signal: meaning.signal.map { SignalUpdate(signal: $0, signalClass: .pageView, weight: 1) }, person: person,
            surge: meaning.topic.map { .firstParty(topic: $0) }, handRaiser: false, evaluate: evaluate)
    }

    /// URLs repeat a great deal; their meaning is cached (bounded) per model.
    private mutating func pageMeaning(_ url: String) -> CompiledModel.PageMeaning {
        pageMeanings.meaning(of: url) { model.meaning(ofURL: $0) }
    }

    private mutating func applyIntent(_ intent: IntentSurge, resolution: Resolution) -> Result {
        guard case .account(let ref) = resolution else { return count(resolution) }
        let rules = model.model.engagement
        let weight = max(0, intent.score - rules.intentNormalScore) / max(1, 100 - rules.intentNormalScore)
        let topic = intent.topic.lowercased()
        return credit(
            ref, eventID: intent.eventID, at: intent.occurredAt,
            signal: weight > 0 ? SignalUpdate(signal: SignalID("intent:" + topic), signalClass: .intent, weight: weight) : nil,
            person: nil, surge: .thirdParty(topic: topic, score: intent.score), handRaiser: false)
    }

    private mutating func applyForm(_ form: FormSubmission, resolution: Resolution) -> Result {
        guard case .account(let ref) = resolution else { return count(resolution) }
        let contactPoints = model.contactPoints(seniority: form.seniority, jobTitle: form.jobTitle)
        let person = PersonSignal(
            key: fnv1a64(form.email.lowercased()), contactPoints: contactPoints, email: form.email,
            role: form.seniority ?? form.jobTitle, setsContact: true)
        var outputs: [EngineOutput] = []
        if let visitor = form.visitorID {
            state.identifiedVisitors[visitor] = IdentifiedVisitor(
                accountID: ref.id, domain: ref.domain, isMatched: ref.isMatched, personKey: person.key,
                contactPoints: contactPoints, lastSeen: form.occurredAt, task: currentTask)
            outputs += release(visitor: visitor, to: ref, identifiedAt: form.occurredAt, person: person)
            trimVisitors()
        }
        let known = model.formSignals[form.formType]
        if known == nil { state.counters.unknownFormTypes += 1 }
        var result = credit(
            ref, eventID: form.eventID, at: form.occurredAt,
            signal: SignalUpdate(signal: known ?? SignalID("form:" + form.formType), signalClass: .form, weight: 1), person: person,
            surge: nil, handRaiser: model.handRaiserForms.contains(form.formType))
        result.outputs = outputs + result.outputs
        return result
    }

    // MARK: Anonymous visitors

    private mutating func hold(_ view: PageView) {
        let rules = model.model.identity
        var held = state.heldVisitors[view.visitorID] ?? HeldVisitor()
        held.task = currentTask
        held.pageViews.append(view)
        held.lastSeen = max(held.lastSeen, view.occurredAt)
        state.counters.heldPageViews += 1
        if held.pageViews.count > rules.visitorHoldMaxEvents {
            held.pageViews.sort { ($0.occurredAt, $0.eventID) < ($1.occurredAt, $1.eventID) }
            let excess = held.pageViews.count - rules.visitorHoldMaxEvents
            held.pageViews.removeFirst(excess)
            state.counters.droppedHeldPageViews += excess
        }
        state.heldVisitors[view.visitorID] = held
        if state.heldVisitors.count > rules.visitorHoldMaxVisitors + rules.visitorHoldMaxVisitors / 10 {
            // Drop the visitors seen longest ago, a tenth at a time, so the cost is amortised.
            let keep = state.heldVisitors.sorted { ($0.value.lastSeen, $0.key) > ($1.value.lastSeen, $1.key) }.prefix(rules.visitorHoldMaxVisitors)
            let dropped = state.heldVisitors.count - keep.count
            state.counters.droppedHeldPageViews += state.heldVisitors.values.reduce(0) { $0 + $1.pageViews.count }
                - keep.reduce(0) { $0 + $1.value.pageViews.count }
            state.heldVisitors = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
            _ = dropped
        }
    }

    /// Credits a visitor's held views to the account they identified with, at their original times.
    private mutating func release(visitor: String, to ref: AccountRef, identifiedAt: EventTime, person: PersonSignal) -> [EngineOutput] {
        guard let held = state.heldVisitors.removeValue(forKey: visitor) else { return [] }
        let oldest = identifiedAt - .days(model.model.identity.visitorHoldMaxAgeDays)
        var outputs: [EngineOutput] = []
        for view in held.pageViews.sorted(by: { ($0.occurredAt, $0.eventID) < ($1.occurredAt, $1.eventID) }) {
            guard view.occurredAt >= oldest else {
                state.counters.droppedHeldPageViews += 1
                continue
            }
            state.counters.releasedPageViews += 1
            outputs += creditPageView(view, to: ref, person: person, evaluate: false).outputs
        }
        return outputs
    }

    private mutating func trimVisitors() {
        let limit = model.model.identity.visitorHoldMaxVisitors
        guard state.identifiedVisitors.count > limit + limit / 10 else { return }
        let keep = state.identifiedVisitors.sorted { ($0.value.lastSeen, $0.key) > ($1.value.lastSeen, $1.key) }.prefix(limit)
        state.identifiedVisitors = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
    }

    /// Visitor keys hash with another seed than emails, so the two never collide by design.
    private let visitorKeySeed: UInt64 = 0x7669_7369_746f_7221

    // MARK: Crediting an account

    struct SignalUpdate {
        var signal: SignalID
        var signalClass: SignalClass
        var weight: Double
    }

    struct PersonSignal {
        var key: UInt64
        var contactPoints: Double
        var email: String?
        var role: String?
        /// Forms carry seniority and title; page views do not change a person's contact points.
        var setsContact = false
    }

    enum SurgeObservation {
        case firstParty(topic: String)
        case thirdParty(topic: String, score: Double)
    }

    private mutating func credit(
        _ ref: AccountRef, eventID: String, at time: EventTime, signal: SignalUpdate?, person: PersonSignal?,
        surge: SurgeObservation?, handRaiser: Bool, evaluate: Bool = true
    ) -> Result {
        state.counters.applied += 1
        let context = UpdateContext(model: model, records: directory.records, fitGeneration: fitGeneration, task: currentTask)
        let task = currentTask
        let outputs = state.accounts.withAccount(id: ref.id, hash: ref.idHash) {
            var account = AccountState(accountID: ref.id, domain: ref.domain, isMatched: ref.isMatched)
            account.task = task
            return account
        } _: { account in
            Engine.update(
                &account, context: context, counters: &state.counters, eventID: eventID, at: time, signal: signal, person: person,
                surge: surge, handRaiser: handRaiser, evaluate: evaluate)
        }
        return Result(outcome: .applied, outputs: outputs, accountID: ref.id)
    }

    /// What one update reads besides the account. Built for every event, so it holds only the
    /// directory's records, one reference: the whole directory is four, each retained and
    /// released again per event (a fifth of the engine's releases at a million accounts).
    struct UpdateContext {
        var model: CompiledModel
        var records: [String: AccountRecord]
        var fitGeneration: Int
        var task: Int32
    }

    /// Applies one signal to one account and decides what it triggers.
    static func update(
        _ account: inout AccountState, context: UpdateContext, counters: inout EngineCounters, eventID: String, at time: EventTime,
        signal: SignalUpdate?, person: PersonSignal?, surge: SurgeObservation?, handRaiser: Bool, evaluate: Bool
    ) -> [EngineOutput] {
        let model = context.model
        // The lists' heap block is usually not in cache at a million accounts. Reading a count
        // now starts that load while the work below reads the state itself. (A count is never
        // negative: the comparison only keeps the compiler from dropping the read.)
        let tallyCount = account.tallies.count
        if account.task != context.task || tallyCount < 0 { counters.crossTaskSignals += 1 }
        if account.cachedFit.generation != context.fitGeneration {
            // The reference record is read only when the model or reference data changed.
            let record = context.records[account.accountID]
            account.cachedFit = CachedFit(
                fit: model.fit(record: record, domain: account.domain), generation: context.fitGeneration,
                isCompetitor: model.competitorDomains.contains(account.domain))
            account.isMatched = record != nil
        }
        let fit = account.cachedFit.fit
        let isCompetitor = account.cachedFit.isCompetitor
        if isCompetitor { counters.competitorSignals += 1 }
        // One signal per input at most: passed as an optional, not an array, to spare an allocation per event.
        if let update = signal {
            let halfLife = model.halfLife(of: update.signalClass)
            if let index = account.tallies.withUnsafeBufferPointer({ $0.firstIndex { $0.signalID == update.signal } }) {
                account.modify(SignalTally.self, at: index) { tally in
                    tally.count.add(update.weight, at: time, halfLife: halfLife)
                    if (time, eventID) >= (tally.lastOccurredAt, tally.lastEventID) {
                        tally.lastOccurredAt = time
                        tally.lastEventID = eventID
                    }
                }
            } else {
                var count = DecayedSum()
                count.add(update.weight, at: time, halfLife: halfLife)
                account.append(SignalTally(
                    signalID: update.signal, signalClass: update.signalClass, count: count,
                    lastEventID: eventID, lastOccurredAt: time))
            }
        }
        if let person {
            if let index = account.people.withUnsafeBufferPointer({ $0.firstIndex { $0.key == person.key } }) {
                account.modify(EngagedPerson.self, at: index) { known in
                    known.lastSeen = max(known.lastSeen, time)
                    if person.setsContact, (time, person.contactPoints) >= (known.contactAt, known.contactPoints) {
                        known.contactPoints = person.contactPoints
                        known.contactAt = time
                    }
                }
            } else {
                account.append(EngagedPerson(
                    key: person.key, lastSeen: time, contactPoints: person.contactPoints,
                    contactAt: person.setsContact ? time : EventTime(milliseconds: Int64.min)))
                let maxPeople = model.model.committee.maxPeople
                if account.people.count > maxPeople {
                    let latest = account.people.sorted { ($0.lastSeen, $0.key) > ($1.lastSeen, $1.key) }.prefix(maxPeople)
                    account.replace(EngagedPerson.self, with: Array(latest))
                }
            }
        }
        account.lastEventAt = max(account.lastEventAt, time)
        account.eventCount += 1
        let now = account.lastEventAt

        // Surges.
        var surgeChanges: [(index: Int, kind: SurgeTrigger.Kind)] = []
        switch surge {
        case .thirdParty(let topic, let score):
            let index = surgeIndex(&account, topic: topic, source: .thirdParty)
            if let kind = account.modify(TopicSurge.self, at: index, { model.observeThirdParty(&$0, score: score, at: time) }) {
                surgeChanges.append((index, kind))
            }
        case .firstParty(let topic):
            let index = surgeIndex(&account, topic: topic, source: .firstParty)
            account.modify(TopicSurge.self, at: index) { model.observeFirstParty(&$0, at: time) }
        case nil:
            break
        }
        // Held views released at identification only update state; the identifying form evaluates.
        guard evaluate else { return [] }
        for index in 0..<account.surges.count where account.surges[index].source == .firstParty {
            if let kind = account.modify(TopicSurge.self, at: index, { model.evaluateFirstParty(&$0, now: now) }) {
                surgeChanges.append((index, kind))
            }
        }
        var outputs: [EngineOutput] = []
        if !isCompetitor {
            for change in surgeChanges {
                let surge = account.surges[change.index]
                let id = "st_" + SHA256.hex(
                    ["surge", account.accountID, surge.topic, surge.source.rawValue, change.kind.rawValue, eventID].joined(separator: "\u{1F}"),
                    characters: 24)
                outputs.append(.surgeTrigger(SurgeTrigger(
                    id: id, accountID: account.accountID, accountDomain: account.domain, topic: surge.topic, kind: change.kind,
                    source: surge.source, at: now, current: surge.lastCurrent, baseline: surge.lastBaseline,
                    triggerEventID: eventID, configVersion: model.version)))
            }
        }

        // Scores, band and routing.
        var scores = model.scores(of: account, fit: fit, at: now, explain: false)
        let previousBand = account.band
        account.band = model.band(previous: previousBand, composite: scores.composite)
        let surgeStarted = surgeChanges.first { $0.kind == .started }.map { account.surges[$0.index] }
        var trigger: RouteTrigger?
        var reason = ""
        if handRaiser, let signal {
            trigger = .handRaiser
            reason = "hand-raiser form \(signal.signal.name.dropFirst(5))"
        } else if account.band == .hot && scores.engagement >= model.model.routing.mqlMinEngagement
            && (previousBand != .hot || account.lastRoutedAt == nil || now - account.lastRoutedAt! >= .days(model.model.routing.rerouteWindowDays))
        {
            trigger = .mql
            reason = "composite \(JSONWriter.format(points: scores.composite)) crossed the MQL threshold \(JSONWriter.format(points: model.model.bands.hot))"
        } else if let started = surgeStarted, !account.isMatched ? model.model.routing.routeUnmatchedSurges : scores.fit >= model.model.routing.surgeMinFit {
            trigger = .surge
            reason = "\(started.source == .firstParty ? "first-party" : "third-party") surge on \(started.topic) (current \(JSONWriter.format(points: started.lastCurrent)), baseline \(JSONWriter.format(points: started.lastBaseline)))"
                + (!account.isMatched ? ", new logo" : ", fit \(JSONWriter.format(points: scores.fit))")
        }
        guard let trigger, !isCompetitor else { return outputs }
        let record = context.records[account.accountID]
        if let lifecycle = record?.lifecycle?.rawValue, model.skipLifecycles.contains(lifecycle) { return outputs }
        if let lastAt = account.lastRoutedAt, let lastBand = account.lastRoutedBand,
            now - lastAt < .days(model.model.routing.rerouteWindowDays), account.band <= lastBand
        {
            return outputs
        }
        scores = model.scores(of: account, fit: fit, at: now, explain: true)
        let assignee = model.assignee(for: account, record: record)
        let sla = EventDuration.minutes(model.slaMinutes(trigger: trigger, band: account.band))
        let contact = person?.email.map { email in
            ContactReference(id: ContactReference.hashedID(email: email), domain: DomainName.ofEmail(email), role: person?.role)
        }
        let id = "rd_" + SHA256.hex(
            ["routing", account.accountID, trigger.rawValue, eventID, String(now.milliseconds)].joined(separator: "\u{1F}"), characters: 24)
        outputs.append(.routingDecision(RoutingDecision(
            id: id, accountID: account.accountID, accountDomain: account.domain, at: now, trigger: trigger, band: account.band,
            scores: scores, threshold: model.model.bands.hot, assignee: assignee, slaDueAt: now + sla, reason: reason,
            contact: contact, triggerEventIDs: [eventID], configVersion: model.version)))
        account.lastRoutedAt = now
        account.lastRoutedBand = account.band
        return outputs
    }

    private static func surgeIndex(_ account: inout AccountState, topic: String, source: SurgeSource) -> Int {
        if let index = account.surges.withUnsafeBufferPointer({ $0.firstIndex { $0.topic == topic && $0.source == source } }) { return index }
        account.append(TopicSurge(topic: topic, source: source))
        return account.surges.count - 1
    }
}
