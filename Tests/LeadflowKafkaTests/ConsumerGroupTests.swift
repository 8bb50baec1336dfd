import LeadflowKafka
import Testing

/// Records what the rebalance hooks were told, in order.
final class RebalanceLog: Sendable {
    enum Event: Equatable, Sendable { case assigned([KafkaPartition]), revoked([KafkaPartition]) }
    private let events = Locked<[Event]>([])

    var hooks: KafkaRebalanceHooks {
        KafkaRebalanceHooks(
            onAssign: { [events] _, partitions in
                events.with { $0.append(.assigned(partitions.sorted())) }
                return [:]
            },
            onRevoke: { [events] _, partitions, _ in events.with { $0.append(.revoked(partitions.sorted())) } })
    }

    var all: [Event] { events.current }

    /// What the member owns after replaying the events.
    var owned: Set<KafkaPartition> {
        var owned = Set<KafkaPartition>()
        for event in all {
            switch event {
            case .assigned(let partitions): owned.formUnion(partitions)
            case .revoked(let partitions): owned.subtract(partitions)
            }
        }
        return owned
    }
}

@Suite("Consumer groups on the embedded broker", .serialized, .timeLimit(.minutes(3)))
struct ConsumerGroupTests {
    static let topic = "page-views"
    static let all = Set((0..<4).map { KafkaPartition(topic: topic, partition: Int32($0)) })

    /// Polls both consumers until `done` holds or the attempts run out.
    private func pollUntil(_ consumers: [KafkaConsumer], attempts: Int = 300, _ done: () -> Bool) async throws {
        for _ in 0..<attempts where !done() {
            for consumer in consumers { _ = try await consumer.poll(maxMessages: 100, timeout: .milliseconds(50)) }
        }
    }

    @Test("two members split the partitions; when one leaves, the other is handed exactly its partitions")
    func splitAndTakeOver() async throws {
        let cluster = try TestCluster(topics: [Self.topic: 4])
        let logA = RebalanceLog()
        let logB = RebalanceLog()
        let memberA = try cluster.consumer(group: "split", hooks: logA.hooks)
        let memberB = try cluster.consumer(group: "split", hooks: logB.hooks)
        try memberA.subscribe(topics: [Self.topic])
        try memberB.subscribe(topics: [Self.topic])
        try await pollUntil([memberA, memberB]) {
            logA.owned.count == 2 && logB.owned.count == 2
        }
        let ownedByA = logA.owned
        let ownedByB = logB.owned
        #expect(ownedByA.count == 2 && ownedByB.count == 2)
        #expect(ownedByA.isDisjoint(with: ownedByB))
        #expect(ownedByA.union(ownedByB) == Self.all)
        #expect(Set(try memberA.assignment()) == ownedByA)

        let eventsBeforeLeave = logA.all.count
        await memberB.close(timeout: .seconds(10))
        // B's own revoke hook ran before it left, reporting what it owned.
        #expect(logB.all.last == .revoked(ownedByB.sorted()))
        try await pollUntil([memberA]) { logA.owned == Self.all }
        #expect(logA.owned == Self.all)
        // A is told about exactly B's partitions, and loses none of its own.
        let newEvents = Array(logA.all.dropFirst(eventsBeforeLeave))
        #expect(newEvents == [.assigned(ownedByB.sorted())])
        await memberA.close(timeout: .seconds(10))
    }

    /// A member that buffers records before processing them resumes a re-assigned partition
    /// from its own processed offset, not from the fetch position. A record fetched before a
    /// revocation and handed over after it would land after that restart point, out of place.
    @Test("a poll never returns records of partitions revoked during that poll")
    func noRecordsOfRevokedPartitions() async throws {
        let topic = "views"
        let cluster = try TestCluster(topics: [topic: 2])
        let producer = try cluster.producer { $0.linger = .milliseconds(50) }
        for index in 0..<40_000 {
            _ = try await producer.send(KafkaOutgoingMessage(topic: topic, partition: Int32(index % 2), value: Array("record \(index)".utf8)))
        }
        try await producer.flush(timeout: .seconds(20))
        let log = RebalanceLog()
        let eager: (inout KafkaConsumerConfiguration) -> Void = { configuration in
            configuration.partitionAssignmentStrategy = "range"
            configuration.client.properties["heartbeat.interval.ms"] = "100"
        }
        let memberA = try cluster.consumer(group: "revoke-mid-batch", hooks: log.hooks, eager)
        try memberA.subscribe(topics: [topic])
        var first: [KafkaMessage] = []
        for _ in 0..<100 where first.isEmpty { first = try await memberA.poll(maxMessages: 10, timeout: .milliseconds(100)) }
        #expect(!first.isEmpty)
        // A fetches ahead into its local queue while it does not poll; B's arrival puts the
        // revocation behind those records.
        try await Task.sleep(for: .milliseconds(500))
        let memberB = try cluster.consumer(group: "revoke-mid-batch", eager)
        try memberB.subscribe(topics: [topic])
        let joining = Task {
            for _ in 0..<40 { _ = try? await memberB.poll(maxMessages: 10, timeout: .milliseconds(50)) }
        }
        try await Task.sleep(for: .milliseconds(1_000))
        let revocationsBefore = log.all.filter { if case .revoked = $0 { true } else { false } }.count
        let batch = try await memberA.poll(maxMessages: 1_000_000, timeout: .milliseconds(100))
        let revocations = log.all.filter { if case .revoked = $0 { true } else { false } }.count
        #expect(revocations > revocationsBefore, "the scenario needs a revocation during the poll")
        let owned = log.owned
        let strays = batch.filter { !owned.contains($0.topicPartition) }
        #expect(strays.isEmpty, "\(strays.count) of \(batch.count) records belong to revoked partitions")
        await joining.value
        await memberB.close(timeout: .seconds(10))
        await memberA.close(timeout: .seconds(10))
        await producer.close()
    }

    @Test("a new member resumes from the group's committed offsets")
    func resumesFromCommitted() async throws {
        let cluster = try TestCluster(topics: ["forms": 1])
        let producer = try cluster.producer()
        for index in 0..<10 {
            _ = try await producer.send(KafkaOutgoingMessage(topic: "forms", partition: 0, value: Array("m\(index)".utf8)))
        }
        try await producer.flush(timeout: .seconds(10))
        let partition = KafkaPartition(topic: "forms", partition: 0)

        let first = try cluster.consumer(group: "resume")
        try first.subscribe(topics: ["forms"])
        let firstBatch = try await TestCluster.drain(first, count: 10)
        #expect(firstBatch.map(\.offset) == Array(0..<10))
        // Processed six: commit the next offset to read.
        try await first.commit([partition: 6])
        #expect(try await first.committed([partition]) == [partition: 6])
        await first.close(timeout: .seconds(10))

        let second = try cluster.consumer(group: "resume")
        try second.subscribe(topics: ["forms"])
        let rest = try await TestCluster.drain(second, count: 4)
        #expect(rest.map(\.offset) == [6, 7, 8, 9])
        #expect(rest.map { String(decoding: $0.value, as: UTF8.self) } == ["m6", "m7", "m8", "m9"])
        await second.close(timeout: .seconds(10))
        await producer.close()
    }

    @Test("stored offsets are committed by commitStored, and an assignment hook can set the start offset")
    func storeAndStartOffsets() async throws {
        let cluster = try TestCluster(topics: ["intent": 1])
        let producer = try cluster.producer()
        for index in 0..<8 { _ = try await producer.send(KafkaOutgoingMessage(topic: "intent", partition: 0, value: [UInt8(index)])) }
        try await producer.flush(timeout: .seconds(10))
        let partition = KafkaPartition(topic: "intent", partition: 0)

        let snapshotStart = KafkaRebalanceHooks(onAssign: { _, partitions in
            Dictionary(uniqueKeysWithValues: partitions.map { ($0, Int64(5)) })
        })
        let consumer = try cluster.consumer(group: "store", hooks: snapshotStart)
        try consumer.subscribe(topics: ["intent"])
        let messages = try await TestCluster.drain(consumer, count: 3)
        #expect(messages.map(\.offset) == [5, 6, 7])
        try consumer.storeOffsets([partition: 8])
        try await consumer.commitStored()
        #expect(try await consumer.committed([partition]) == [partition: 8])
        #expect(try consumer.lag()[partition] == 0)
        await consumer.close(timeout: .seconds(10))
        await producer.close()
    }
}
