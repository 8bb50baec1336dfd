@testable import LeadflowEngine
import Testing

@Suite("Account table: dense chunks, an index of positions")
struct AccountTableTests {
    static func account(_ index: Int, task: Int32 = 0) -> AccountState {
        var state = AccountState(accountID: "acc-\(index)", domain: "d\(index).example", isMatched: true)
        state.task = task
        state.eventCount = index
        return state
    }

    /// A plain dictionary is the model the table must agree with after any mix of operations.
    @Test("inserts, updates and removals agree with a dictionary, across chunk boundaries")
    func agreesWithDictionary() {
        var table = AccountTable()
        var model: [String: AccountState] = [:]
        var seed: UInt64 = 12345
        for step in 0..<30_000 {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let index = Int((seed >> 33) % 9_000)
            let id = "acc-\(index)"
            switch step % 5 {
            case 0, 1:
                table[id] = Self.account(index)
                model[id] = Self.account(index)
            case 2:
                table[id] = nil
                model[id] = nil
            default:
                var created = false
                table.withAccount(id: id, orInsert: {
                    created = true
                    return Self.account(index)
                }) { $0.eventCount += 1 }
                #expect(created == (model[id] == nil))
                model[id, default: Self.account(index)].eventCount += 1
            }
        }
        #expect(table.count == model.count)
        for (id, state) in model { #expect(table[id] == state) }
        #expect(Set(table.ids) == Set(model.keys))
        #expect(table["acc-unknown"] == nil)
    }

    @Test("a filtered copy holds exactly the task's accounts, and later writes leave it unchanged")
    func filterIsACopy() {
        var table = AccountTable()
        for index in 0..<(AccountTable.chunkSize * 3) { table["acc-\(index)"] = Self.account(index, task: index < AccountTable.chunkSize * 2 ? 1 : Int32(index % 2)) }
        let copy = table.filter { $0.task == 1 }
        let expected = table.values.filter { $0.task == 1 }
        #expect(copy.count == expected.count)
        #expect(copy == AccountTable(unindexed: expected))
        table.withAccount(id: "acc-0", orInsert: { Self.account(0) }) { $0.eventCount = 999 }
        table["acc-1"] = nil
        #expect(copy["acc-0"]?.eventCount == 0)
        #expect(copy["acc-1"] != nil)
        #expect(table["acc-0"]?.eventCount == 999)
    }

    @Test("equality ignores order; merge and removal by task keep the index right")
    func equalityMergeRemoval() {
        var forward = AccountTable()
        var backward = AccountTable()
        for index in 0..<5_000 { forward["acc-\(index)"] = Self.account(index, task: Int32(index % 4)) }
        for index in (0..<5_000).reversed() { backward["acc-\(index)"] = Self.account(index, task: Int32(index % 4)) }
        #expect(forward == backward)
        backward["acc-7"]?.eventCount += 1
        #expect(forward != backward)

        var merged = AccountTable()
        merged.merge(forward.filter { $0.task == 0 })
        merged.merge(forward.filter { $0.task != 0 })
        #expect(merged == forward)
        merged.removeAll { $0.task == 2 }
        #expect(merged.count == 3_750)
        #expect(merged["acc-2"] == nil)
        #expect(merged["acc-3"] == Self.account(3, task: 3))
    }

    @Test("revoking several tasks at once gives each exactly its own state, and leaves the rest indexed")
    func extractManyTasks() {
        var state = EngineState()
        for index in 0..<20_000 { state.accounts["acc-\(index)"] = Self.account(index, task: Int32(index % 7)) }
        for index in 0..<70 {
            var held = HeldVisitor()
            held.task = Int32(index % 7)
            held.lastSeen = EventTime(milliseconds: Int64(index))
            state.heldVisitors["v-\(index)"] = held
            state.identifiedVisitors["w-\(index)"] = IdentifiedVisitor(
                accountID: "acc-\(index)", domain: "d\(index).example", isMatched: true, personKey: UInt64(index), contactPoints: 0,
                lastSeen: EventTime(milliseconds: Int64(index)), task: Int32(index % 7))
        }
        state.newestEventTime = EventTime(milliseconds: 99)
        // Expected from other code paths: a filtered copy per task, and removal by predicate.
        var expected: [Int32: EngineState] = [:]
        for task: Int32 in [1, 4, 5] { expected[task] = state.copy(task: task) }
        var oneByOne = state
        oneByOne.accounts.removeAll { [1, 4, 5].contains($0.task) }
        oneByOne.heldVisitors = oneByOne.heldVisitors.filter { ![1, 4, 5].contains($0.value.task) }
        oneByOne.identifiedVisitors = oneByOne.identifiedVisitors.filter { ![1, 4, 5].contains($0.value.task) }
        var atOnce = state
        let parts = atOnce.extract(tasks: [1, 4, 5])
        #expect(Set(parts.keys) == [1, 4, 5])
        for (task, part) in parts {
            #expect(part.accounts == expected[task]!.accounts)
            #expect(part.accounts.count == 20_000 / 7 + (Int(task) < 20_000 % 7 ? 1 : 0))
            #expect(part.heldVisitors == expected[task]!.heldVisitors)
            #expect(part.identifiedVisitors == expected[task]!.identifiedVisitors)
            #expect(part.newestEventTime == EventTime(milliseconds: 99))
        }
        #expect(atOnce.accounts == oneByOne.accounts)
        #expect(atOnce.heldVisitors == oneByOne.heldVisitors && atOnce.identifiedVisitors == oneByOne.identifiedVisitors)
        #expect(atOnce.accounts["acc-2"] == Self.account(2, task: 2), "what stays is found through the rebuilt index")
        #expect(atOnce.accounts["acc-1"] == nil)
        // A task that owns nothing gets an empty part and changes nothing.
        var unchanged = atOnce
        #expect(unchanged.extract(tasks: [40])[40]?.accounts.isEmpty == true)
        #expect(unchanged.accounts == atOnce.accounts)
    }

    @Test("the index finds every entry after removals inside collision runs, including runs that wrap around")
    func indexCollisions() {
        // Hashes chosen to collide: homes 14 and 15 of 16 slots, so runs wrap to slot 0.
        var index = AccountIndex()
        var hashes: [Int: UInt32] = [:]
        for position in 0..<7 {
            let hash: UInt32 = position % 2 == 0 ? 14 : 15 + 16 * UInt32(position)
            hashes[position] = hash
            index.insert(hash: hash, position: position)
        }
        for removed in [0, 3, 6] {
            index.remove(hash: hashes[removed]!, position: removed)
            hashes[removed] = nil
            for (position, hash) in hashes {
                #expect(index.find(hash: hash) { $0 == position } == position, "position \(position) after removing \(removed)")
            }
            #expect(index.find(hash: 14) { $0 == removed } == nil)
        }
        #expect(index.count == 4)
        index.move(hash: hashes[5]!, from: 5, to: 9)
        #expect(index.find(hash: hashes[5]!) { $0 == 9 } == 9)
        #expect(index.find(hash: hashes[5]!) { $0 == 5 } == nil)
    }

    /// Indexing a restored table (hashes worked out first, slots fetched ahead) must find every
    /// account, across chunks, and keep the later of two states with the same id.
    @Test("indexing an unindexed table finds every account and keeps the later of two states with one id")
    func indexingRestoredStates() {
        var states = (0..<10_000).map { Self.account($0) }
        var later = Self.account(1_234)
        later.eventCount = -1
        states.append(later)
        var table = AccountTable(unindexed: states)
        var created = false
        table.withAccount(id: "acc-9999", orInsert: {
            created = true
            return Self.account(9_999)
        }) { $0.eventCount += 1 }
        #expect(!created)
        #expect(table.count == 10_000)
        #expect(table["acc-1234"]?.eventCount == -1)
        #expect(table["acc-9999"]?.eventCount == 10_000)
        #expect((0..<10_000).allSatisfy { table["acc-\($0)"]?.accountID == "acc-\($0)" })
    }
}
