import LeadflowEngine
import PropertyBased
import Testing

/// A small deterministic generator (SplitMix64), so each property case is reproducible from its seed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random but realistic event histories for a few accounts over three weeks.
enum History {
    static let records: [AccountRecord] = [
        .sample("a", domain: "a.example"),
        .sample("b", domain: "b.example", industry: "fintech", employees: 3_000, country: "GB"),
        .sample("c", domain: "c.example", industry: "education", employees: 90, revenue: 1_000_000, country: "BR", technologies: []),
    ]
    static let pages = ["pricing", "demo", "docs/x", "blog/y", "customers/z", "integrations/k", "careers", "unknown"]
    static let forms = ["demo_request", "pricing_inquiry", "webinar_attended", "content_download", "newsletter", "mystery_form"]
    static let start = Events.time("2026-11-01T00:00:00Z").milliseconds

    static func events(seed: UInt64, count: Int = 60) -> [InputEvent] {
        var random = SeededGenerator(state: seed)
        return (0..<count).map { index in
            let domain = ["a.example", "b.example", "c.example", "new.example"].randomElement(using: &random)!
            let at = EventTime(milliseconds: start + Int64.random(in: 0..<(21 * 86_400_000), using: &random))
            let person = Int.random(in: 0..<4, using: &random)
            let email = "p\(person)@\(domain)"
            switch Int.random(in: 0..<10, using: &random) {
            case 0..<6:
                let page = pages.randomElement(using: &random)!
                return .pageView(PageView(eventID: "e\(index)", occurredAt: at, visitorID: "v\(person)-\(domain)", url: "https://v.example/\(page)", accountDomain: domain, email: Bool.random(using: &random) ? email : nil))
            case 6..<8:
                let seniority = ["vp", "manager", "student"][person % 3]  // fixed per person
                return .formSubmission(FormSubmission(eventID: "e\(index)", occurredAt: at, email: email, formType: forms.randomElement(using: &random)!, seniority: seniority))
            default:
                return .intentSurge(IntentSurge(eventID: "e\(index)", occurredAt: at, accountDomain: domain, topic: ["crm", "etl"].randomElement(using: &random)!, score: Double(Int.random(in: 30...95, using: &random))))
            }
        }
    }

    /// Each account's final scores as rounded strings, evaluated at the newest event time.
    static func finalScores(_ engine: Engine, at time: EventTime) -> [String: String] {
        var result: [String: String] = [:]
        for id in engine.state.accounts.ids {
            guard let scores = engine.scores(accountID: id, at: time) else { continue }
            result[id] = [scores.fit, scores.signals, scores.committee, scores.contact, scores.composite]
                .map { JSONWriter.format(points: $0) }.joined(separator: "/")
        }
        return result
    }
}

@Suite("Engine properties")
struct PropertyTests {
    static let model = CompiledModel(ScoringModel())

    @Test("arrival order does not change final scores")
    func orderIndependence() async {
        await propertyCheck(count: 60, input: Gen.int(in: 0...Int(UInt32.max))) { seed in
            let events = History.events(seed: UInt64(seed))
            var shuffler = SeededGenerator(state: UInt64(seed) ^ 0xABCD)
            let shuffled = events.shuffled(using: &shuffler)
            let newest = events.map(\.occurredAt).max()!
            var inOrder = Engine(model: Self.model, directory: AccountDirectory(records: History.records))
            var outOfOrder = Engine(model: Self.model, directory: AccountDirectory(records: History.records))
            _ = inOrder.run(events)
            _ = outOfOrder.run(shuffled)
            let expected = History.finalScores(inOrder, at: newest)
            #expect(!expected.isEmpty)
            #expect(History.finalScores(outOfOrder, at: newest) == expected)
        }
    }

    @Test("the same sequence from empty state gives byte-identical outputs and ids")
    func determinism() async {
        await propertyCheck(count: 40, input: Gen.int(in: 0...Int(UInt32.max))) { seed in
            let events = History.events(seed: UInt64(seed), count: 120)
            var first = Engine(model: Self.model, directory: AccountDirectory(records: History.records))
            var second = Engine(model: Self.model, directory: AccountDirectory(records: History.records))
            let a = first.run(events).map { $0.json() }
            let b = second.run(events).map { $0.json() }
            #expect(a == b)
            #expect(Set(a).count == a.count, "output ids and payloads are unique")
        }
    }

    @Test("engagement halves after one half-life")
    func halving() async {
        await propertyCheck(count: 100, input: Gen.int(in: 0...Int(UInt32.max))) { seed in
            var random = SeededGenerator(state: UInt64(seed))
            var model = ScoringModel()
            model.engagement.pageViewHalfLifeDays = Double.random(in: 0.5...60, using: &random)
            model.engagement.formHalfLifeDays = model.engagement.pageViewHalfLifeDays
            let compiled = CompiledModel(model)
            var engine = Engine(model: compiled, directory: AccountDirectory(records: History.records))
            // Distinct signals once each (repeats are subject to diminishing returns, not plain decay).
            let at = EventTime(milliseconds: History.start + Int64.random(in: 0..<86_400_000, using: &random))
            let pages = History.pages.shuffled(using: &random).prefix(Int.random(in: 1...5, using: &random))
            for (index, page) in pages.enumerated() {
                _ = engine.apply(.pageView(PageView(eventID: "p\(index)", occurredAt: at, visitorID: "v", url: "https://v.example/\(page)", accountDomain: "a.example")), clock: nil)
            }
            _ = engine.apply(.formSubmission(FormSubmission(eventID: "f", occurredAt: at, email: "x@a.example", formType: "content_download")), clock: nil)
            let halfLife = Int64(model.engagement.pageViewHalfLifeDays * 86_400_000)
            guard let now = engine.scores(accountID: "a", at: at), let later = engine.scores(accountID: "a", at: at + EventDuration(milliseconds: halfLife)) else {
                Issue.record("account a has no state")
                return
            }
            #expect(now.signals > 0)
            #expect(abs(later.signals - now.signals / 2) < 1e-6 * now.signals)
        }
    }
}
