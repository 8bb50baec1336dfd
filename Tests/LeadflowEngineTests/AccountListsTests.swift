@testable import LeadflowEngine
import Testing

@Suite("Account lists: three lists in one block, copy on write")
struct AccountListsTests {
    static func tally(_ index: Int) -> SignalTally {
        SignalTally(
            signal: "page:signal-with-a-long-name-\(index)", signalClass: .pageView,
            count: DecayedSum(value: Double(index), referenceTime: EventTime(milliseconds: Int64(index))),
            lastEventID: "an-event-id-long-enough-to-live-on-the-heap-\(index)", lastOccurredAt: EventTime(milliseconds: Int64(index)))
    }

    static func person(_ index: Int) -> EngagedPerson {
        EngagedPerson(
            key: UInt64(index), lastSeen: EventTime(milliseconds: Int64(index)), contactPoints: Double(index),
            contactAt: EventTime(milliseconds: Int64(index)))
    }

    static func surge(_ index: Int) -> TopicSurge {
        var surge = TopicSurge(topic: "topic-with-a-long-name-\(index)", source: index % 2 == 0 ? .firstParty : .thirdParty)
        surge.observations = Int32(index)
        return surge
    }

    /// Arrays are the model: any interleaving of appends to the three lists keeps each list's
    /// elements in order, whichever list grows the block.
    @Test("interleaved appends to the three lists agree with three arrays")
    func agreesWithArrays() {
        var account = AccountState(accountID: "acc-1", domain: "one.example", isMatched: true)
        var tallies: [SignalTally] = [], people: [EngagedPerson] = [], surges: [TopicSurge] = []
        var seed: UInt64 = 99
        for step in 0..<300 {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            switch (seed >> 33) % 3 {
            case 0:
                account.append(Self.tally(step))
                tallies.append(Self.tally(step))
            case 1:
                account.append(Self.person(step))
                people.append(Self.person(step))
            default:
                account.append(Self.surge(step))
                surges.append(Self.surge(step))
            }
        }
        #expect(Array(account.tallies) == tallies)
        #expect(Array(account.people) == people)
        #expect(Array(account.surges) == surges)
        #expect(!tallies.isEmpty && !people.isEmpty && !surges.isEmpty)
    }

    @Test("a copy keeps its lists when the original is changed, appended to or replaced")
    func copyOnWrite() {
        var account = AccountState(accountID: "acc-1", domain: "one.example", isMatched: true)
        account.append(Self.tally(1))
        account.append(Self.person(1))
        account.append(Self.surge(1))
        let snapshot = account

        account.modify(SignalTally.self, at: 0) { $0.lastEventID = "changed" }
        #expect(account.tallies[0].lastEventID == "changed")
        #expect(snapshot.tallies[0].lastEventID == Self.tally(1).lastEventID)

        var second = snapshot
        second.append(Self.surge(2))
        #expect(second.surges.count == 2)
        #expect(snapshot.surges.count == 1)

        var third = snapshot
        third.replace(EngagedPerson.self, with: [Self.person(7), Self.person(8)])
        #expect(Array(third.people) == [Self.person(7), Self.person(8)])
        #expect(Array(third.tallies) == Array(snapshot.tallies))
        #expect(Array(snapshot.people) == [Self.person(1)])
        #expect(snapshot != account)
        #expect(snapshot != third)
    }

    @Test("equal lists are equal and hash alike, however their blocks were grown")
    func equalityIgnoresCapacity() {
        var grown = AccountState(accountID: "acc-1", domain: "one.example", isMatched: true)
        var reserved = grown
        reserved.lists.reserve(tallies: 5, people: 5, surges: 5)
        for index in 0..<3 {
            grown.append(Self.tally(index))
            grown.append(Self.person(index))
            reserved.append(Self.person(index))
            reserved.append(Self.tally(index))
        }
        #expect(grown == reserved)
        #expect(grown.hashValue == reserved.hashValue)
        reserved.modify(EngagedPerson.self, at: 2) { $0.contactPoints += 1 }
        #expect(grown != reserved)
    }

    @Test("a new logo's domain is read from its id; other accounts keep their own")
    func domainFromID() {
        var newLogo = AccountState(accountID: "new:a-long-new-logo-domain.example", domain: "a-long-new-logo-domain.example", isMatched: false)
        #expect(newLogo.domain == "a-long-new-logo-domain.example")
        newLogo.withDomainUTF8 { #expect(Array($0) == Array("a-long-new-logo-domain.example".utf8)) }
        newLogo.domain = "elsewhere.example"
        #expect(newLogo.domain == "elsewhere.example")
        let matched = AccountState(accountID: "acc-9", domain: "nine.example", isMatched: true)
        #expect(matched.domain == "nine.example")
        let lookalike = AccountState(accountID: "new:x.example", domain: "y.example", isMatched: false)
        #expect(lookalike.domain == "y.example")
    }

    /// The codec reads a new logo's domain from its id only when the id is "new:" plus exactly
    /// that domain; look-alikes keep the domain they were written with.
    @Test("accounts round-trip through the snapshot codec, new logos and look-alikes alike")
    func codecRoundTrip() throws {
        var accounts = [
            AccountState(accountID: "new:a-long-new-logo-domain.example", domain: "a-long-new-logo-domain.example", isMatched: false),
            AccountState(accountID: "new:x.example", domain: "y.example", isMatched: false),
            AccountState(accountID: "abcdx.example", domain: "x.example", isMatched: true),
            AccountState(accountID: "acc-1", domain: "one.example", isMatched: true),
        ]
        for index in accounts.indices {
            for step in 0..<index + 1 {
                accounts[index].append(Self.tally(step))
                accounts[index].append(Self.person(step))
            }
            accounts[index].append(Self.surge(index))
        }
        var writer = ByteWriter()
        for account in accounts { StateCodec.encodeAccount(account, into: &writer) }
        var reader = ByteReader(bytes: writer.takeBytes())
        var signals = SignalNameCache()
        for account in accounts {
            let decoded = try StateCodec.decodeAccount(from: &reader, signals: &signals)
            #expect(decoded == account)
            #expect(decoded.domain == account.domain)
            #expect(Array(decoded.surges) == Array(account.surges))
        }
        #expect(reader.isAtEnd)
    }

    /// The decoder's name cache stops growing at its limit; names past it must still decode
    /// to their own numbers, and names met again must find theirs.
    @Test("signal names decode to their own numbers, past the decoder's cache limit too")
    func signalNamesPastTheCacheLimit() throws {
        var account = AccountState(accountID: "acc-many", domain: "many.example", isMatched: true)
        let names = (0..<150).map { "intent:cache-limit-topic-\($0)" }
        for (index, name) in names.enumerated() {
            account.append(SignalTally(
                signal: name, signalClass: .intent, count: DecayedSum(value: 1, referenceTime: EventTime(milliseconds: Int64(index))),
                lastEventID: "e\(index)", lastOccurredAt: EventTime(milliseconds: Int64(index))))
        }
        var writer = ByteWriter()
        StateCodec.encodeAccount(account, into: &writer)
        StateCodec.encodeAccount(account, into: &writer)
        var reader = ByteReader(bytes: writer.takeBytes())
        var signals = SignalNameCache()
        for _ in 0..<2 {
            let decoded = try StateCodec.decodeAccount(from: &reader, signals: &signals)
            #expect(decoded.tallies.map(\.signal) == names)
            #expect(decoded == account)
        }
    }
}
