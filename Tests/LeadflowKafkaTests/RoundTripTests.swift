import LeadflowKafka
import Testing

@Suite("Kafka round trips on the embedded broker", .serialized, .timeLimit(.minutes(2)))
struct RoundTripTests {
    @Test("keys, headers, values and timestamps survive a produce/consume round trip")
    func roundTrip() async throws {
        let cluster = try TestCluster(topics: ["signals": 2])
        let producer = try cluster.producer()
        let sent = (0..<20).map { index in
            KafkaOutgoingMessage(
                topic: "signals", partition: Int32(index % 2), key: Array("account-\(index)".utf8),
                value: Array("{\"n\":\(index)}".utf8),
                headers: [KafkaHeader(name: "source", string: "test"), KafkaHeader(name: "empty", value: nil)],
                timestampMilliseconds: 1_700_000_000_000 + Int64(index))
        }
        for message in sent {
            let report = try await producer.sendAndWait(message)
            #expect(report.isDelivered, "delivery failed: \(String(describing: report.error))")
        }
        let consumer = try cluster.consumer(group: "round-trip")
        try consumer.assign([KafkaPartition(topic: "signals", partition: 0): KafkaOffset.beginning,
                             KafkaPartition(topic: "signals", partition: 1): KafkaOffset.beginning])
        let beforePoll = MonotonicInstant.now
        let received = try await TestCluster.drain(consumer, count: sent.count)
        let afterPoll = MonotonicInstant.now
        #expect(received.count == sent.count)
        // Each record is stamped with when the consumer took it, on the monotonic clock.
        #expect(received.allSatisfy { ($0.receivedAt.map { beforePoll <= $0 && $0 <= afterPoll }) == true })
        #expect(afterPoll.nanoseconds(until: beforePoll) == 0 && beforePoll.nanoseconds(until: afterPoll) > 0)
        let byKey = Dictionary(uniqueKeysWithValues: received.map { ($0.key ?? [], $0) })
        for message in sent {
            let got = try #require(byKey[message.key ?? []])
            #expect(got.value == message.value)
            #expect(got.partition == message.partition)
            #expect(got.headers == message.headers)
            #expect(got.timestamp == KafkaTimestamp(milliseconds: message.timestampMilliseconds!, kind: .createTime))
        }
        // Offsets within a partition are dense and ordered.
        for partition in [Int32(0), 1] {
            let offsets = received.filter { $0.partition == partition }.map(\.offset)
            #expect(offsets == Array(0..<Int64(offsets.count)))
        }
        await consumer.close(timeout: .seconds(10))
        await producer.close(timeout: .seconds(10))
    }

    @Test("delivery reports reach the handler with ids matching send, and back-pressure bounds in-flight messages")
    func deliveryHandlerAndBackPressure() async throws {
        let cluster = try TestCluster(topics: ["out": 4])
        let reports = Locked<[UInt64]>([])
        let peak = Locked(0)
        let producer = try cluster.producer({ $0.maxInFlightMessages = 50 }) { report in
            if report.isDelivered { reports.with { $0.append(report.id) } }
        }
        var ids: [UInt64] = []
        for index in 0..<2_000 {
            ids.append(try await producer.send(KafkaOutgoingMessage(topic: "out", key: Array("k\(index)".utf8), value: Array(repeating: 7, count: 200))))
            let inFlight = producer.inFlightCount
            peak.with { $0 = max($0, inFlight) }
        }
        try await producer.flush(timeout: .seconds(30))
        #expect(Set(reports.current) == Set(ids))
        #expect(reports.current.count == 2_000)
        #expect(peak.current <= 50)
        #expect(producer.inFlightCount == 0)
        await producer.close()
    }

    @Test("trySend refuses instead of queueing past the in-flight limit")
    func trySendQueueFull() async throws {
        let cluster = try TestCluster(topics: ["out": 1])
        try cluster.broker.setBrokerDown(1)
        let producer = try cluster.producer { $0.maxInFlightMessages = 3; $0.messageTimeout = .seconds(2) }
        for _ in 0..<3 { try producer.trySend(KafkaOutgoingMessage(topic: "out", value: [1])) }
        #expect(throws: KafkaError.self) { try producer.trySend(KafkaOutgoingMessage(topic: "out", value: [1])) }
        do {
            try producer.trySend(KafkaOutgoingMessage(topic: "out", value: [1]))
        } catch let error as KafkaError {
            #expect(error.code == .queueFull)
            #expect(error.isRetriable)
        }
        await producer.close(timeout: .seconds(5))
    }
}
