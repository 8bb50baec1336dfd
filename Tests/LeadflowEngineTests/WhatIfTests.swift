import LeadflowEngine
import Testing

@Suite("What-if: two models over the same inputs")
struct WhatIfTests {
    static func record(_ id: String, industry: String, country: String) -> AccountRecord {
        AccountRecord(
            accountID: id, domains: ["\(id).example"], name: id, industry: industry, employees: 800, annualRevenue: 95_000_000,
            country: country, technologies: ["snowflake"], ownerID: nil, lifecycle: .prospect)
    }

    @Test("reports exactly the seeded differences: band, MQL time and assignee, with both explanations")
    func seededDifferences() throws {
        let directory = AccountDirectory(records: [
            Self.record("acc-same", industry: "software", country: "US"),
            Self.record("acc-retail", industry: "retail", country: "US"),
            Self.record("acc-de", industry: "software", country: "DE"),
        ])
        let current = ScoringModel()
        var proposed = ScoringModel()
        // The change under review: retail becomes an ICP industry, and Germany gets its own rep.
        proposed.fit.icpIndustries.append("retail")
        proposed.routing.territories = [.init(name: "dach", countries: ["DE"], minEmployees: 0, maxEmployees: 1_000_000, team: "dach")]
        proposed.routing.teams = ["dach": [.init(id: "rep-dora", capacity: 1)]]
        var comparison = WhatIfComparison(proposed: CompiledModel(proposed), current: CompiledModel(current), directory: directory)
        let events = [
            #"{"type":"page_view","event_id":"e1","occurred_at":"2026-11-02T10:00:00Z","visitor_id":"v1","url":"https://leadflow.example/pricing","account_domain":"acc-same.example"}"#,
            #"{"type":"page_view","event_id":"e2","occurred_at":"2026-11-02T11:00:00Z","visitor_id":"v2","url":"https://leadflow.example/pricing","account_domain":"acc-retail.example"}"#,
            #"{"type":"form_submission","event_id":"e3","occurred_at":"2026-11-02T12:00:00Z","email":"ana@acc-de.example","form_type":"demo_request"}"#,
        ]
        for event in events {
            let result = Array(event.utf8).withUnsafeBufferPointer { comparison.process($0, clock: nil, task: 0) }
            #expect(result.rejection == nil)
        }
        let report = comparison.report()
        #expect(report.accountsCompared == 3)
        #expect(report.changedAccounts == ["acc-de", "acc-retail"])
        #expect(report.counts == [.band: 1, .qualifiedAt: 1, .assignee: 2])
        let retail = try #require(report.sample.first { $0.accountID == "acc-retail" })
        #expect(retail.kinds == [.band, .qualifiedAt, .assignee])
        #expect(retail.current.band == .warm && retail.proposed.band == .hot)
        #expect(retail.current.firstQualifiedAt == nil)
        #expect(retail.proposed.firstQualifiedAt?.description == "2026-11-02T11:00:00Z")
        #expect(retail.current.scores?.fit == 70 && retail.proposed.scores?.fit == 100)
        #expect(retail.proposed.scores?.topSignals.first?.signal == "page:pricing")
        let german = try #require(report.sample.first { $0.accountID == "acc-de" })
        #expect(german.kinds == [.assignee])
        #expect(german.current.lastAssignee == Assignee(kind: .queue, id: "sdr-inbound"))
        #expect(german.proposed.lastAssignee == Assignee(kind: .rep, id: "rep-dora"))
        // The text and JSON forms carry both explanations.
        #expect(report.text.contains("composite 85 = fit 70"))
        #expect(report.text.contains("composite 115 = fit 100"))
        #expect(report.json.contains(#""differences_by_kind":{"band":1,"mql_time":1,"assignee":2}"#))
    }

    @Test("identical models report no differences")
    func identicalModels() {
        let model = CompiledModel(ScoringModel())
        var comparison = WhatIfComparison(proposed: model, current: model, directory: AccountDirectory())
        let event = #"{"type":"page_view","event_id":"e1","occurred_at":"2026-11-02T10:00:00Z","visitor_id":"v1","url":"https://x.example/pricing","account_domain":"newco.example"}"#
        _ = Array(event.utf8).withUnsafeBufferPointer { comparison.process($0, clock: nil, task: 0) }
        let report = comparison.report()
        #expect(report.accountsCompared == 1)
        #expect(report.changedAccounts.isEmpty)
    }
}
