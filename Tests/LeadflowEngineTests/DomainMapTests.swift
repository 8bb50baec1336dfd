@testable import LeadflowEngine
import Testing

@Suite("Domain map: domains to values by a hash computed once")
struct DomainMapTests {
    @Test("a map agrees with a dictionary through random inserts, updates and removals")
    func agreesWithDictionary() {
        var map = DomainMap<Int>()
        var expected: [String: Int] = [:]
        var seed: UInt64 = 42
        func next(_ bound: Int) -> Int {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((seed >> 33) % UInt64(bound))
        }
        // Long names live on the heap, short ones inline: both kinds, so equal keys are not
        // always the same storage.
        let names = (0..<300).map { $0 % 2 == 0 ? "d\($0).example" : "a-much-longer-domain-name-\($0).example.co.uk" }
        for step in 0..<20_000 {
            let name = names[next(names.count)]
            if next(3) == 0 {
                map[name] = nil
                expected[name] = nil
            } else {
                map[name] = step
                expected[name] = step
            }
        }
        #expect(map.count == expected.count)
        for name in names {
            // Built afresh, so the lookup compares contents, not the stored string's identity.
            let probe = String(decoding: Array(name.utf8), as: UTF8.self)
            #expect(map[probe] == expected[name], "\(name)")
            #expect(map.contains(probe, hash: DomainMap<Int>.hash(probe)) == (expected[name] != nil))
        }
        #expect(map["absent.example"] == nil)
    }

    @Test("removing the entry before the last keeps the last one found")
    func removalMovesTheLastEntry() {
        var map = DomainMap<String>()
        map["a.com"] = "A"
        map["b.com"] = "B"
        map["c.com"] = "C"
        map["a.com"] = nil
        #expect(map["a.com"] == nil)
        #expect(map["b.com"] == "B")
        #expect(map["c.com"] == "C")
        map["c.com"] = nil
        map["b.com"] = nil
        #expect(map.count == 0)
        map["b.com"] = "B2"
        #expect(map["b.com"] == "B2")
    }
}
