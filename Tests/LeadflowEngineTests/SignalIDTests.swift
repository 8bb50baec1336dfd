import Dispatch
@testable import LeadflowEngine
import Synchronization
import Testing

@Suite("Signal ids: names numbered once per process")
struct SignalIDTests {
    @Test("a name keeps its number, distinct names get distinct numbers, and the number gives the name back")
    func numbering() {
        let names = (0..<50).map { "intent:signal-id-test-topic-\($0)" }
        let ids = names.map(SignalID.init)
        #expect(Set(ids).count == names.count)
        #expect(names.map(SignalID.init) == ids)
        #expect(ids.map(\.name) == names)
        let all = SignalID.allNames()
        #expect(ids.allSatisfy { all[Int($0.raw)] == $0.name })
    }

    /// Threads racing to number the same new names must all agree on each one.
    @Test("threads numbering the same names at once agree")
    func concurrentNumbering() {
        let names = (0..<200).map { "form:signal-id-race-\($0)" }
        let results = Mutex([[SignalID]](repeating: [], count: 4))
        DispatchQueue.concurrentPerform(iterations: 4) { thread in
            let order = thread % 2 == 0 ? names : names.reversed()
            var ids = [SignalID: String]()
            for name in order { ids[SignalID(name)] = name }
            let byName = names.map { name in ids.first { $0.value == name }!.key }
            results.withLock { $0[thread] = byName }
        }
        let all = results.withLock { $0 }
        #expect(all.allSatisfy { $0 == all[0] })
        #expect(Set(all[0]).count == names.count)
    }

    @Test("a model scores a signal by its number, and an unknown signal scores nothing")
    func modelPoints() throws {
        let model = CompiledModel(ScoringModel())
        let pricing = try #require(model.model.engagement.pageCategories.first { $0.name == "pricing" })
        var tally = SignalTally(
            signal: "page:pricing", signalClass: .pageView, count: DecayedSum(), lastEventID: "e1", lastOccurredAt: EventTime(milliseconds: 0))
        #expect(withUnsafePointer(to: tally) { model.points(of: $0) } == pricing.points)
        tally.signalID = SignalID("page:signal-id-test-never-in-a-model")
        #expect(withUnsafePointer(to: tally) { model.points(of: $0) } == 0)
    }
}
