@testable import LeadflowEngine
import Testing

@Suite("Page meaning cache: what each URL means, remembered")
struct PageMeaningCacheTests {
    static let model = CompiledModel(ScoringModel())
    static let paths = ["/pricing", "/demo", "/blog/post", "/docs/api", "/customers/acme", "/careers", "/", "/pricing?plan=team"]

    /// Far more URLs than slots, so colliding URLs evict each other: every answer must still be
    /// the model's own, and a URL looked up twice in a row is matched only once.
    @Test("answers are the model's, through collisions and evictions")
    func answersMatchTheModel() {
        var cache = PageMeaningCache()
        var computed = 0
        for round in 0..<2 {
            for index in 0..<20_000 {
                let url = "https://site\(index % 97).example" + Self.paths[index % Self.paths.count] + (round == 0 ? "" : "#\(index)")
                let expected = Self.model.meaning(ofURL: url)
                for _ in 0..<2 {
                    let meaning = cache.meaning(of: url) { computed += 1; return Self.model.meaning(ofURL: $0) }
                    #expect(meaning.signal == expected.signal && meaning.topic == expected.topic, "\(url)")
                }
            }
        }
        // At least once per distinct URL (776 in the first round, 20,000 in the second); at most
        // once per pair of lookups in a row, since the second always hits.
        #expect(computed >= 20_776 && computed <= 40_000, "\(computed) computations")
    }

    @Test("after removeAll every URL is worked out again")
    func removeAllForgets() {
        var cache = PageMeaningCache()
        var computed = 0
        let compute: (String) -> CompiledModel.PageMeaning = { computed += 1; return Self.model.meaning(ofURL: $0) }
        _ = cache.meaning(of: "https://a.example/pricing", compute)
        _ = cache.meaning(of: "https://a.example/pricing", compute)
        #expect(computed == 1)
        cache.removeAll()
        _ = cache.meaning(of: "https://a.example/pricing", compute)
        #expect(computed == 2)
    }

    @Test("the hash reads every byte: URLs differing in any one byte hash apart")
    func hashSeesEveryByte() {
        let base = Array("https://leadflow.example/pricing/enterprise?x=1".utf8)
        let baseHash = PageMeaningCache.hash(String(decoding: base, as: UTF8.self))
        for position in base.indices {
            var changed = base
            changed[position] ^= 0x01
            #expect(PageMeaningCache.hash(String(decoding: changed, as: UTF8.self)) != baseHash, "byte \(position)")
        }
        #expect(PageMeaningCache.hash("") != PageMeaningCache.hash("\u{0}"))
    }
}
