import LeadflowKafka
import Testing

@Suite("Kafka faults and bad configuration", .serialized, .timeLimit(.minutes(3)))
struct FaultTests {
    @Test("a timestamp lookup the broker cannot answer is an error naming the partition, not an offset")
    func timestampLookupUnanswered() async throws {
        let cluster = try TestCluster(topics: ["views": 2])
        let producer = try cluster.producer()
        _ = try await producer.sendAndWait(KafkaOutgoingMessage(topic: "views", partition: 0, value: [1], timestampMilliseconds: 1_000))
        let consumer = try cluster.consumer(group: "times")
        let partition = KafkaPartition(topic: "views", partition: 0)
        do {
            let offsets = try await consumer.offsets(forTimestamp: 500, partitions: [partition])
            Issue.record("expected an error, got offsets \(offsets)")
        } catch let error as KafkaError {
            #expect(error.code == .timestampNotFound)
            #expect(error.message.contains("views[0]"))
        }
        await consumer.close(timeout: .seconds(5))
        await producer.close()
    }

    @Test("producing while every broker is down fails delivery after message.timeout.ms instead of hanging")
    func allBrokersDown() async throws {
        let cluster = try TestCluster(brokers: 2, topics: ["routing": 2])
        try cluster.broker.setBrokerDown(1)
        try cluster.broker.setBrokerDown(2)
        let producer = try cluster.producer { $0.messageTimeout = .seconds(2) }
        let report = try await producer.sendAndWait(KafkaOutgoingMessage(topic: "routing", key: [1], value: [2]))
        let error = try #require(report.error)
        #expect(error.librdkafkaCode == KafkaProtocolError.messageTimedOut)
        #expect(error.isRetriable)
        #expect(producer.inFlightCount == 0)
        await producer.close(timeout: .seconds(2))
    }

    @Test("transient produce errors injected by the broker are retried and delivered exactly once")
    func produceErrorsRetried() async throws {
        let cluster = try TestCluster(topics: ["decisions": 1])
        let producer = try cluster.producer()
        // Warm up so the injected errors hit a Produce request, not the producer-id handshake.
        _ = try await producer.sendAndWait(KafkaOutgoingMessage(topic: "decisions", partition: 0, value: Array("warm".utf8)))
        cluster.broker.pushRequestErrors(.produce, [KafkaProtocolError.notLeaderForPartition, KafkaProtocolError.requestTimedOut])
        let report = try await producer.sendAndWait(KafkaOutgoingMessage(topic: "decisions", partition: 0, value: Array("once".utf8)))
        #expect(report.isDelivered)
        let consumer = try cluster.consumer(group: "check")
        try consumer.assign([KafkaPartition(topic: "decisions", partition: 0): KafkaOffset.beginning])
        let messages = try await TestCluster.drain(consumer, count: 3, maxEmptyPolls: 20)
        #expect(messages.map { String(decoding: $0.value, as: UTF8.self) } == ["warm", "once"])
        await consumer.close(timeout: .seconds(5))
        await producer.close()
    }

    @Test("a non-retriable produce error is surfaced in the delivery report")
    func produceErrorSurfaced() async throws {
        let cluster = try TestCluster(topics: ["decisions": 1])
        let producer = try cluster.producer()
        _ = try await producer.sendAndWait(KafkaOutgoingMessage(topic: "decisions", partition: 0, value: [0]))
        cluster.broker.pushRequestErrors(.produce, [KafkaProtocolError.topicAuthorizationFailed])
        let report = try await producer.sendAndWait(KafkaOutgoingMessage(topic: "decisions", partition: 0, value: [1]))
        let error = try #require(report.error)
        #expect(error.librdkafkaCode == KafkaProtocolError.topicAuthorizationFailed)
        #expect(!error.isRetriable)
        await producer.close()
    }

    @Test("commit errors: a transient coordinator error is retried, an authorization error is thrown with its code")
    func commitErrors() async throws {
        let cluster = try TestCluster(topics: ["forms": 1])
        let partition = KafkaPartition(topic: "forms", partition: 0)
        let consumer = try cluster.consumer(group: "commits")
        try await consumer.commit([partition: 1])

        cluster.broker.pushRequestErrors(.offsetCommit, [KafkaProtocolError.coordinatorLoadInProgress])
        try await consumer.commit([partition: 2])
        #expect(try await consumer.committed([partition]) == [partition: 2])

        cluster.broker.pushRequestErrors(.offsetCommit, [KafkaProtocolError.groupAuthorizationFailed])
        do {
            try await consumer.commit([partition: 3])
            Issue.record("commit should have failed")
        } catch let error as KafkaError {
            #expect(error.librdkafkaCode == KafkaProtocolError.groupAuthorizationFailed)
            #expect(!error.isRetriable)
        }
        #expect(try await consumer.committed([partition]) == [partition: 2])
        await consumer.close(timeout: .seconds(5))
    }

    @Test("an unknown property is rejected with its name, and a secret's value never appears")
    func invalidProperties() throws {
        let cluster = try TestCluster()
        var client = cluster.client
        client.properties = ["no.such.property": "1", "sasl.pasword": "hunter2", "acks": "banana"]
        do {
            _ = try KafkaProducer(configuration: KafkaProducerConfiguration(client: client), logger: cluster.logger)
            Issue.record("expected the configuration to be rejected")
        } catch let error as KafkaError {
            #expect(error.code == .unknownProperty)
            #expect(error.message.contains("no.such.property"))
            #expect(error.message.contains("sasl.pasword"))
            #expect(error.message.contains("'acks'"))
            #expect(!error.description.contains("hunter2"))
        }
        client.properties = ["sasl.password": "hunter2", "security.protocol": "plaintext"]
        #expect(client.redactedProperties()["sasl.password"] == "[redacted]")
        #expect(client.redactedProperties()["security.protocol"] == "plaintext")
        #expect(throws: KafkaError.self) {
            _ = try KafkaConsumer(configuration: KafkaConsumerConfiguration(client: cluster.client, groupID: ""), logger: cluster.logger)
        }
    }

    @Test("admin describes metadata; topic creation the embedded broker cannot do ends in a bounded error")
    func adminMetadataAndCreateTopics() async throws {
        let cluster = try TestCluster(brokers: 2, topics: ["accounts": 3])
        let admin = try KafkaAdmin(configuration: cluster.client, logger: cluster.logger)
        let metadata = try await admin.metadata()
        #expect(metadata.topic("accounts")?.partitionCount == 3)
        #expect(Set(metadata.brokers.map(\.id)) == [1, 2])
        // librdkafka 2.0.2's mock cluster has no CreateTopics handler: the call must end with an
        // error within its timeout, not hang (against real Kafka it creates the topic).
        do {
            try await admin.createTopics(
                [KafkaNewTopic(name: "reference", partitions: 3, configs: ["cleanup.policy": "compact"])], timeout: .seconds(2))
            #expect(try await admin.metadata().topic("reference")?.partitionCount == 3)
        } catch let error as KafkaError {
            #expect(error.code == .timedOut)
            #expect(error.message.contains("create topics"))
        }
    }
}
