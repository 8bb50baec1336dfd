@testable import LeadflowEngine
import Testing

@Suite("Scoring: fit, decaying engagement, committee, bands")
struct ScoringTests {
    /// Fit 70 under the default model: ICP industry 30 + 200–5,000 employees 25 + revenue ≥ $20M 15,
    /// outside the ICP countries and without complementary technology.
    static let fit70 = AccountRecord.sample("acc-70", domain: "seventy.example", country: "BR", technologies: [])

    static func engine(_ records: [AccountRecord], _ adjust: (inout ScoringModel) -> Void = { _ in }) -> Engine {
        var model = ScoringModel()
        adjust(&model)
        return Engine(model: CompiledModel(model), directory: AccountDirectory(records: records))
    }

    @Test("worked example: fit 70 and engagement 45 cross the 100-point threshold and route at once")
    func workedExample() throws {
        var engine = Self.engine([Self.fit70])
        let at = "2026-11-02T10:00:00Z"
        let warmUp = engine.run([
            Events.pageView("pv-1", at, domain: "seventy.example", url: "https://vendor.example/pricing", email: "ana@seventy.example"),  // 15
            Events.form("f-1", at, email: "ana@seventy.example", type: "webinar_attended"),  // 10
        ])
        #expect(warmUp.isEmpty)
        #expect(engine.state.accounts["acc-70"]?.band == .warm)
        let outputs = engine.run([Events.form("f-2", at, email: "ana@seventy.example", type: "trial_signup")])  // 20
        let decision = try #require(outputs.decisions.first)
        #expect(outputs.decisions.count == 1)
        #expect(decision.scores.fit == 70)
        #expect(abs(decision.scores.engagement - 45) < 1e-9)
        #expect(abs(decision.scores.composite - 115) < 1e-9)
        #expect(decision.trigger == .mql)
        #expect(decision.band == .hot)
        #expect(decision.triggerEventIDs == ["f-2"])
        #expect(decision.slaDueAt == Events.time("2026-11-02T11:00:00Z"))
        #expect(decision.scores.topSignals.map(\.signal) == ["form:trial_signup", "page:pricing", "form:webinar_attended"])
        #expect(decision.scores.topSignals.map(\.points) == [20, 15, 10])
        #expect(decision.contact?.id == ContactReference.hashedID(email: "ana@seventy.example"))
        #expect(decision.contact?.domain == "seventy.example")
        let json = decision.json()
        #expect(!json.contains("ana@"))
    }

    @Test("fit rules add up per band and clamp; competitors get their negative fit")
    func fitRules() throws {
        var engine = Self.engine(
            [
                AccountRecord.sample("perfect", domain: "perfect.example"),
                AccountRecord.sample("school", domain: "school.example", industry: "education", employees: 120, revenue: 5_000_000, country: "US", technologies: []),
            ],
            { $0.fit.competitorDomains = ["rival.example"] })
        _ = engine.run([
            Events.pageView("a", "2026-11-02T10:00:00Z", domain: "perfect.example", url: "https://v.example/careers"),
            Events.pageView("b", "2026-11-02T10:00:00Z", domain: "school.example", url: "https://v.example/careers"),
            Events.pageView("c", "2026-11-02T10:00:00Z", domain: "rival.example", url: "https://v.example/pricing"),
        ])
        #expect(engine.scores(accountID: "perfect")?.fit == 100)
        // education −20, 50–199 employees +10, US +15.
        #expect(engine.scores(accountID: "school")?.fit == 5)
        #expect(engine.scores(accountID: "new:rival.example")?.fit == -100)
    }

    @Test("a single signal's points halve after one half-life")
    func decayHalves() throws {
        var engine = Self.engine([Self.fit70])
        _ = engine.run([Events.pageView("pv", "2026-11-02T00:00:00Z", domain: "seventy.example", url: "https://v.example/pricing")])
        let now = try #require(engine.scores(accountID: "acc-70"))
        let week = try #require(engine.scores(accountID: "acc-70", at: Events.time("2026-11-09T00:00:00Z")))
        let twoWeeks = try #require(engine.scores(accountID: "acc-70", at: Events.time("2026-11-16T00:00:00Z")))
        #expect(now.signals == 15)
        #expect(abs(week.signals - 7.5) < 1e-9)
        #expect(abs(twoWeeks.signals - 3.75) < 1e-9)
        #expect(week.topSignals.first?.occurredAt == Events.time("2026-11-02T00:00:00Z"))
    }

    @Test("repeats of one signal have diminishing returns; a late event adds its decayed share")
    func repeatsAndLateEvents() throws {
        var engine = Self.engine([Self.fit70])
        let url = "https://v.example/pricing"
        _ = engine.run((1...3).map { Events.pageView("pv-\($0)", "2026-11-02T00:00:00Z", domain: "seventy.example", url: url) })
        #expect(abs(try #require(engine.scores(accountID: "acc-70")).signals - 15 * 1.75) < 1e-9)
        #expect(diminishingReturns(0.5, repeatFactor: 0.5) == 0.5)
        #expect(diminishingReturns(2, repeatFactor: 0.5) == 1.5)

        var late = Self.engine([Self.fit70])
        _ = late.run([
            Events.pageView("new", "2026-11-09T00:00:00Z", domain: "seventy.example", url: "https://v.example/docs"),
            Events.pageView("old", "2026-11-02T00:00:00Z", domain: "seventy.example", url: "https://v.example/pricing"),
        ])
        let scores = try #require(late.scores(accountID: "acc-70"))
        #expect(abs(scores.signals - (3 + 7.5)) < 1e-9)
    }

    @Test("the repeat curve scoring uses agrees with diminishing returns computed with pow")
    func repeatCurveMatchesPow() {
        for factor in [0.0, 0.1, 0.35, 0.5, 0.7, 0.9, 0.99, 1.0, 1.5] {
            let curve = RepeatCurve(repeatFactor: factor)
            for step in 0...4_000 {
                let count = Double(step) * 0.0125
                let expected = diminishingReturns(count, repeatFactor: factor)
                #expect(abs(curve.value(count) - expected) <= 1e-12 * max(1, abs(expected)), "factor \(factor), count \(count)")
            }
        }
        #expect(RepeatCurve(repeatFactor: 0.5).value(2) == 1.5)
    }

    @Test("buying committee: three people within the window earn the bonus; the most senior sets contact points")
    func committee() throws {
        var engine = Self.engine([Self.fit70])
        _ = engine.run([
            Events.form("f1", "2026-11-02T10:00:00Z", email: "a@seventy.example", type: "newsletter", seniority: "manager"),
            Events.form("f2", "2026-11-03T10:00:00Z", email: "b@seventy.example", type: "newsletter", seniority: "director"),
            Events.pageView("p1", "2026-11-04T10:00:00Z", domain: "seventy.example", url: "https://v.example/blog/x", visitor: "v-anon"),
        ])
        let scores = try #require(engine.scores(accountID: "acc-70"))
        #expect(scores.engagedPeople == 3)
        #expect(scores.committee == 15)
        #expect(scores.contact == 20)
        let later = try #require(engine.scores(accountID: "acc-70", at: Events.time("2026-12-03T11:00:00Z")))
        #expect(later.engagedPeople == 1)
        #expect(later.committee == 0)

        var students = Self.engine([Self.fit70])
        _ = students.run([Events.form("s", "2026-11-02T10:00:00Z", email: "kid@seventy.example", type: "newsletter", title: "Graduate Student")])
        #expect(students.scores(accountID: "acc-70")?.contact == -30)
    }

    @Test("a score hovering at the threshold routes once")
    func hysteresis() throws {
        var engine = Self.engine([Self.fit70])
        let burst = ["pricing", "demo", "docs", "blog", "product"]
        var composites: [Double] = []
        var decisions: [RoutingDecision] = []
        // Bursts of views push the composite just over 100; eleven quiet days let it decay below the
        // hysteresis line (90, seen at a zero-point careers view), and the next burst crosses again,
        // still inside the 14-day re-route window.
        for (round, (day, pages)) in [(2, burst), (3, burst), (14, ["careers"] + burst)].enumerated() {
            for page in pages {
                let burst = round
                let at = "2026-11-\(day < 10 ? "0" : "")\(day)T10:00:00Z"
                let event = Events.pageView("\(page)-\(burst)", at, domain: "seventy.example", url: "https://v.example/\(page)")
                decisions += engine.apply(event, clock: nil).outputs.decisions
                composites.append(try #require(engine.scores(accountID: "acc-70")).composite)
            }
        }
        let upwardCrossings = zip(composites, composites.dropFirst()).filter { $0 < 100 && $1 >= 100 }.count
        #expect(composites.contains { $0 < 90 }, "the band must have fallen to warm in between")
        #expect(upwardCrossings >= 2, "the scenario must hover: \(composites.map { JSONWriter.format(points: $0) })")
        #expect(decisions.count == 1)
        #expect(decisions.first?.trigger == .mql)
    }

    @Test("bands rise at their thresholds and fall only past the hysteresis")
    func bandTransitions() throws {
        var engine = Self.engine([AccountRecord.sample("w", domain: "w.example", employees: 10, revenue: 0, country: "BR", technologies: [])])
        // Fit 30. Forms (30-day half-life): 30 + 25 = 55 + fit 30 = 85 → warm.
        _ = engine.run([
            Events.form("f1", "2026-11-02T10:00:00Z", email: "a@w.example", type: "trial_signup"),
            Events.form("f2", "2026-11-02T10:00:00Z", email: "a@w.example", type: "pricing_inquiry"),
        ])
        #expect(engine.state.accounts["w"]?.band == .warm)
        // 45 × 2^(-t/30d) + 30 stays ≥ 50 (warm − hysteresis) until 45·2^(-t/30) < 20: t > 35 days.
        _ = engine.run([Events.pageView("p", "2026-12-02T10:00:00Z", domain: "w.example", url: "https://v.example/careers")])
        #expect(engine.state.accounts["w"]?.band == .warm)
        _ = engine.run([Events.pageView("q", "2026-12-12T10:00:00Z", domain: "w.example", url: "https://v.example/careers")])
        #expect(engine.state.accounts["w"]?.band == .cold)
    }

    @Test("a signal's points follow the model in use, whether the tally was built here, restored, or scored under an earlier model")
    func pointsFollowTheModel() throws {
        let at = "2026-11-02T10:00:00Z"
        let events = [
            Events.pageView("pv-1", at, domain: "seventy.example", url: "https://vendor.example/docs/api"),  // docs 3
            Events.pageView("pv-2", at, domain: "seventy.example", url: "https://vendor.example/blog/x"),  // blog 1
            Events.form("f-1", at, email: "ana@seventy.example", type: "newsletter"),  // 2
        ]
        var engine = Self.engine([Self.fit70])
        _ = engine.run(events)
        let first = try #require(engine.scores(accountID: "acc-70"))
        #expect(first.topSignals.map(\.signal) == ["page:docs", "form:newsletter", "page:blog"])
        #expect(first.topSignals.map(\.points) == [3, 2, 1])
        // The committee bonus (two people) is the rest; it does not depend on signal points.
        let committee = first.engagement - 6

        // Restored from a snapshot: the tallies come back without their slots, and score the same,
        // before and after they are touched again.
        var restored = Self.engine([Self.fit70])
        restored.state = try StateCodec.decode(StateCodec.encode(engine.state))
        #expect(restored.scores(accountID: "acc-70") == first)
        let more = Events.pageView("pv-3", at, domain: "seventy.example", url: "https://vendor.example/blog/y")
        _ = engine.run([more])
        _ = restored.run([more])
        #expect(restored.scores(accountID: "acc-70") == engine.scores(accountID: "acc-70"))

        // A new model without the first categories: the slots found under the old one now point at
        // other signals, and the new model's points apply.
        var model = ScoringModel()
        model.engagement.pageCategories.removeAll { ["pricing", "demo", "case_study"].contains($0.name) }
        model.engagement.pageCategories = model.engagement.pageCategories.map { category in
            var changed = category
            changed.points = category.name == "docs" ? 7 : category.name == "blog" ? 2 : category.points
            return changed
        }
        model.engagement.formPoints["newsletter"] = 4
        engine.replaceModel(CompiledModel(model))
        let rescored = try #require(engine.scores(accountID: "acc-70"))
        // docs 7, blog 2 with one repeat (diminishing returns), newsletter 4.
        let blog = try #require(rescored.topSignals.first { $0.signal == "page:blog" })
        #expect(rescored.topSignals.first { $0.signal == "page:docs" }?.points == 7)
        #expect(rescored.topSignals.first { $0.signal == "form:newsletter" }?.points == 4)
        #expect(blog.points > 2 && blog.points < 4)
        #expect(abs(rescored.engagement - (7 + 4 + blog.points + committee)) < 1e-9)
        _ = engine.run([Events.pageView("pv-4", at, domain: "seventy.example", url: "https://vendor.example/docs/z")])
        let docs = try #require(engine.scores(accountID: "acc-70")?.topSignals.first { $0.signal == "page:docs" })
        #expect(docs.points > 7 && docs.points < 14, "two docs views under the new model's 7 points")
    }
}
