import LeadflowEngine
import Testing

@Suite("Hottest accounts")
struct HottestAccountsTests {
    /// Sixty accounts, some with reference records, with varied activity; several score alike.
    private func engine() -> Engine {
        let records = (0..<20).map { AccountRecord.sample("acc-\($0)", domain: "ref\($0).example", employees: 100 + $0 * 300) }
        var engine = Engine(model: CompiledModel(ScoringModel()), directory: AccountDirectory(records: records))
        let urls = ["https://leadflow.example/pricing", "https://leadflow.example/blog/a", "https://leadflow.example/docs/x"]
        var events: [InputEvent] = []
        for account in 0..<60 {
            let domain = account < 20 ? "ref\(account).example" : "new\(account).example"
            for view in 0..<(account % 7) {
                let day = 1 + (account + view) % 20
                events.append(Events.pageView(
                    "e-\(account)-\(view)", "2026-03-\(day < 10 ? "0" : "")\(day)T10:00:00Z", domain: domain, url: urls[(account + view) % 3],
                    visitor: "v-\(account)-\(view % 3)"))
            }
        }
        _ = engine.run(events)
        return engine
    }

    /// Every account scored and explained on its own, best first (ties by id).
    private func bruteForce(_ engine: Engine, limit: Int) -> [(String, Scores)] {
        let at = engine.state.newestEventTime
        let all = engine.state.accounts.ids.map { id in (id, engine.scores(accountID: id, at: at)!) }
        return Array(all.sorted { ($0.1.composite, $1.0) > ($1.1.composite, $0.0) }.prefix(limit))
    }

    @Test("the hottest accounts are the best composites, ties by id, with the same explanations as one account's view")
    func matchesScoringEveryAccount() {
        let engine = engine()
        for limit in [1, 5, 17, 60, 100] {
            let hottest = engine.hottestAccounts(limit: limit)
            let expected = bruteForce(engine, limit: limit)
            #expect(hottest.map(\.accountID) == expected.map(\.0), "limit \(limit)")
            #expect(hottest.map(\.scores) == expected.map(\.1), "limit \(limit)")
        }
        #expect(engine.hottestAccounts(limit: 0).isEmpty)
    }

    @Test("after a model change the ranking uses the new fit, not the fit cached under the old model")
    func staleFitIsNotUsed() {
        var engine = engine()
        var model = ScoringModel()
        model.fit.icpIndustryPoints = 90
        engine.replaceModel(CompiledModel(model))
        let hottest = engine.hottestAccounts(limit: 10)
        #expect(hottest.map(\.accountID) == bruteForce(engine, limit: 10).map(\.0))
        #expect(hottest.first?.scores.fit ?? 0 >= 90)
    }
}
