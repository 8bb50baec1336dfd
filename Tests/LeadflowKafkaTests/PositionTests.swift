import LeadflowKafka
import Testing

@Suite("Consumer positions: watermarks, pause/resume, seek, connectivity", .serialized, .timeLimit(.minutes(2)))
struct PositionTests {
    @Test("watermarks report the log's bounds; pause holds a partition back, resume and seek move it")
    func pauseResumeSeek() async throws {
        let cluster = try TestCluster(topics: ["views": 2])
        let producer = try cluster.producer()
        for index in 0..<6 {
            _ = try await producer.send(KafkaOutgoingMessage(topic: "views", partition: Int32(index % 2), value: [UInt8(index)]))
        }
        try await producer.flush(timeout: .seconds(10))
        let zero = KafkaPartition(topic: "views", partition: 0)
        let one = KafkaPartition(topic: "views", partition: 1)

        let consumer = try cluster.consumer(group: "positions")
        #expect(try await consumer.watermarks(zero) == KafkaWatermarks(low: 0, high: 3))
        try consumer.assign([zero: KafkaOffset.beginning, one: KafkaOffset.beginning])
        try consumer.pause([one])
        let whilePaused = try await TestCluster.drain(consumer, count: 3, maxEmptyPolls: 15)
        #expect(Set(whilePaused.map(\.partition)) == [0])
        #expect(whilePaused.count == 3)

        try consumer.resume([one])
        let afterResume = try await TestCluster.drain(consumer, count: 3)
        #expect(afterResume.map(\.partition) == [1, 1, 1])
        #expect(try consumer.lag() == [zero: 0, one: 0])

        try await consumer.seek([zero: 1])
        let reread = try await TestCluster.drain(consumer, count: 2)
        #expect(reread.map(\.offset) == [1, 2])
        #expect(reread.allSatisfy { $0.partition == 0 })
        await consumer.close(timeout: .seconds(5))
        await producer.close()
    }

    @Test("a client sees when every broker is down, and sees the recovery")
    func connectivity() async throws {
        let cluster = try TestCluster(topics: ["out": 1])
        let producer = try cluster.producer { $0.messageTimeout = .seconds(30) }
        _ = try await producer.sendAndWait(KafkaOutgoingMessage(topic: "out", value: [1]))
        #expect(producer.connectivity == .connected)

        try cluster.broker.setBrokerDown(1)
        let sent = try await producer.send(KafkaOutgoingMessage(topic: "out", value: [2]))
        for _ in 0..<100 where producer.connectivity != .allBrokersDown { try await Task.sleep(for: .milliseconds(100)) }
        #expect(producer.connectivity == .allBrokersDown)
        #expect(producer.inFlightCount == 1)

        try cluster.broker.setBrokerUp(1)
        // librdkafka retries with backoff; the message queued during the outage is delivered, not lost.
        try await producer.flush(timeout: .seconds(30))
        #expect(producer.inFlightCount == 0)
        #expect(producer.connectivity == .connected)
        #expect(sent > 0)
        await producer.close()
    }
}
