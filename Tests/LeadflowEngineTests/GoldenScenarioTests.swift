import Foundation
import LeadflowConfig
import LeadflowEngine
import Testing

/// A scripted fortnight (Scenarios/fortnight.*) with every expected output spelled out:
/// - acc-north, an ICP account (fit 100) that requests a demo: routed at once to the territory
///   rep, 15-minute SLA; its later pricing view does not route it again;
/// - acc-hover (fit 70), whose composite hovers around 100 (95 → 103.64, decays to ~81 over
///   eleven days, climbs back over 100): routed once, to the fallback queue (no territory);
/// - rival.example, a competitor: its demo request and intent surge produce nothing;
/// - newco.example, a new logo with no reference record: a third-party surge (78 over a
///   baseline of 55) starts, routes it to the new-business queue, and ends at 52;
/// - a visitor of acc-stitch browses anonymously, leaves a gmail address (no account), then
///   identifies with a work email: the held views are credited at their original times and the
///   account crosses the MQL threshold, routed to its owner;
/// - two malformed events, rejected with their field and reason.
@Suite("Golden scenario: a scripted fortnight")
struct GoldenScenarioTests {
    static let folder = "Tests/LeadflowEngineTests/Scenarios/"

    @Test("the fortnight produces exactly the expected decisions and triggers, byte for byte")
    func fortnight() throws {
        let configuration = try LeadflowConfiguration.load(path: Repository.path(Self.folder + "fortnight.yaml"))
        let accounts = AccountDirectory.parseJSONLines(try String(contentsOfFile: try #require(configuration.accountsFile), encoding: .utf8))
        #expect(accounts.problems.isEmpty)
        var engine = Engine(model: CompiledModel(configuration.model), directory: AccountDirectory(records: accounts.records))
        let clock = Events.time("2026-11-16T00:00:00Z")
        var outputs: [String] = []
        var rejections: [Int: Rejection] = [:]
        let lines = try Repository.text(Self.folder + "fortnight.events.jsonl").split(separator: "\n")
        for (index, line) in lines.enumerated() {
            let result = engine.process(Array(line.utf8), clock: clock)
            outputs += result.outputs.map { $0.json() }
            if let rejection = result.rejection { rejections[index + 1] = rejection }
        }
        let expected = try Repository.text(Self.folder + "fortnight.expected.jsonl").split(separator: "\n").map(String.init)
        #expect(outputs.count == expected.count)
        for (got, want) in zip(outputs, expected) { #expect(got == want) }
        #expect(rejections.mapValues(\.reason) == [21: .invalidValue, 22: .wrongType])
        #expect(rejections[21]?.field == "account_domain")
        #expect(rejections[22]?.field == "score")
        #expect(engine.state.counters.releasedPageViews == 2)
        #expect(engine.state.counters.unresolvedSignals == 1)
        #expect(engine.state.counters.competitorSignals == 2)
    }
}
