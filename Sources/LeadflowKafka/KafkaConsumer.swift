import CRdKafka
import Logging
import Synchronization

/// A member of a Kafka consumer group that commits offsets only when told to.
///
/// Blocking librdkafka calls run on the consumer's own dispatch queue (the async methods) or on
/// the caller's thread (the `noasync` `…Blocking` methods, for rebalance hooks and dedicated threads).
public final class KafkaConsumer: Sendable {
    let client: RDKafkaClient
    private let queue: ClientQueue
    private let hooks: KafkaRebalanceHooks
    private let logger: Logger
    private let isClosed = Mutex(false)
    /// Where each partition's end was last reached (see `recordsEndOfPartition`).
    private let endsReached = Mutex<[KafkaPartition: Int64]>([:])
    /// Partitions revoked since the poll under way began (the rebalance hook runs inside it).
    private let revokedDuringPoll = Mutex<Set<KafkaPartition>>([])
    /// Set with `revokedDuringPoll`, so the check after every record is one atomic load, not a
    /// lock (revocations are rare; records arrive a million or more a second).
    private let revocationPending = Atomic<Bool>(false)

    public init(configuration: KafkaConsumerConfiguration, hooks: KafkaRebalanceHooks = .init(), logger: Logger) throws {
        if configuration.groupID.isEmpty {
            throw KafkaError(code: .invalidConfiguration, message: "consumer group id ('group.id') must not be empty")
        }
        if configuration.client.bootstrapServers.isEmpty {
            throw KafkaError(code: .invalidConfiguration, message: "no bootstrap servers ('bootstrap.servers') given")
        }
        client = try RDKafkaClient(kind: .consumer, properties: configuration.librdkafkaProperties(), logger: logger)
        queue = ClientQueue(label: "leadflow.kafka.consumer")
        self.hooks = hooks
        self.logger = logger
        // Route every event (rebalances, errors, logs) through the consumer queue we poll.
        rd_kafka_poll_set_consumer(client.handle)
        client.events.rebalance.withLock { slot in
            slot = RebalanceCallback { [weak self] handle, err, list in self?.rebalance(handle: handle, err: err, list: list) }
        }
    }

    deinit {
        client.destroy(timeout: .seconds(10))
    }

    /// Where the client stands with its brokers.
    public var connectivity: KafkaConnectivity { client.events.connectivity.withLock { $0 } }

    // MARK: Subscription and assignment

    /// Joins the group for these topics; partitions arrive through the rebalance hooks during polls.
    public func subscribe(topics: [String]) throws {
        let list = RDKafkaPartitionList.make(topics.map { KafkaPartition(topic: $0, partition: RD_KAFKA_PARTITION_UA) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let err = rd_kafka_subscribe(client.handle, list)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError.rdKafka(err, "subscribe to \(topics)") }
    }

    /// Reads these partitions from these offsets without group membership (no rebalances).
    public func assign(_ offsets: [KafkaPartition: Int64]) throws {
        let list = RDKafkaPartitionList.make(offsets.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let err = rd_kafka_assign(client.handle, list)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError.rdKafka(err, "assign \(offsets.keys.sorted())") }
    }

    /// The partitions currently assigned to this member.
    public func assignment() throws -> [KafkaPartition] {
        var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        let err = rd_kafka_assignment(client.handle, &list)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let list else { throw KafkaError.rdKafka(err, "read assignment") }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        return RDKafkaPartitionList.partitions(list).sorted()
    }

    // MARK: Polling

    /// Waits up to `timeout` for the first message, then takes whatever else is ready, up to
    /// `maxMessages`. Rebalance hooks run inside this call.
    public func poll(maxMessages: Int = 1_000, timeout: Duration = .milliseconds(100)) async throws -> [KafkaMessage] {
        try await queue.run { [self] in try pollBlocking(maxMessages: maxMessages, timeout: timeout) }
    }

    /// `poll` on the caller's thread.
    @available(*, noasync, message: "blocks the thread; use poll(maxMessages:timeout:)")
    public func pollBlocking(maxMessages: Int, timeout: Duration) throws -> [KafkaMessage] {
        if isClosed.withLock({ $0 }) { throw KafkaError(code: .closed, message: "consumer is closed") }
        if let fatal = client.fatalError { throw fatal }
        var messages: [KafkaMessage] = []
        // Room for a full poll at once: the daemon polls 5,000, and growing past 4,096 copied
        // every message into a fresh block of twice the size, on pages the kernel had to zero.
        messages.reserveCapacity(min(maxMessages, 8_192))
        var topicNames = TopicNameCache()
        var wait = Int32(timeout.milliseconds)
        var receivedAt: MonotonicInstant?
        revokedDuringPoll.withLock { revoked in
            revoked.removeAll()
            revocationPending.store(false, ordering: .relaxed)
        }
        while messages.count < maxMessages {
            let raw = rd_kafka_consumer_poll(client.handle, wait)
            dropRecordsOfRevokedPartitions(&messages)
            guard let raw else { break }
            wait = 0
            defer { rd_kafka_message_destroy(raw) }
            let err = raw.pointee.err
            if err == RD_KAFKA_RESP_ERR_NO_ERROR {
                // One clock reading per batch: the batch is drained from a local queue in microseconds.
                if receivedAt == nil { receivedAt = .now }
                // Built in place in the array: a local copy appended would retain and release
                // each of its buffers once more.
                messages.append(KafkaMessage(raw, topicNames: &topicNames, receivedAt: receivedAt))
            } else if err == RD_KAFKA_RESP_ERR__PARTITION_EOF {
                if let topic = raw.pointee.rkt {
                    let partition = KafkaPartition(topic: topicNames.name(of: topic), partition: raw.pointee.partition)
                    endsReached.withLock { $0[partition] = raw.pointee.offset }
                }
                continue
            } else {
                let error = KafkaError.rdKafka(err, "consume" + (raw.pointee.rkt.map { " from \(String(cString: rd_kafka_topic_name($0)))[\(raw.pointee.partition)]" } ?? ""))
                if error.isFatal { throw client.fatalError ?? error }
                logger.warning("\(error.description)")
            }
        }
        if !messages.isEmpty { client.events.markConnected() }
        return messages
    }

    /// A revocation op jumps librdkafka's queue and purges what was fetched for the partitions,
    /// but records this poll took before it arrived are already in hand. Returned after the
    /// revoke hook, they would reach an application that has given the partitions up (or, once
    /// they are assigned again, one that resumes from its own earlier offset) out of place.
    private func dropRecordsOfRevokedPartitions(_ messages: inout [KafkaMessage]) {
        guard revocationPending.load(ordering: .acquiring) else { return }
        let revoked = revokedDuringPoll.withLock { revoked in
            revocationPending.store(false, ordering: .relaxed)
            defer { revoked.removeAll() }
            return revoked
        }
        guard !revoked.isEmpty else { return }
        let before = messages.count
        messages.removeAll { revoked.contains($0.topicPartition) }
        if messages.count < before {
            logger.info("records fetched before a revocation dropped", metadata: ["records": "\(before - messages.count)"])
        }
    }

    // MARK: Offsets

    /// Records offsets to be committed by the next `commitStored` (the offset is the next one to
    /// read: last processed + 1). Does not block.
    public func storeOffsets(_ offsets: [KafkaPartition: Int64]) throws {
        let list = RDKafkaPartitionList.make(offsets.map { ($0.key, $0.value) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let err = rd_kafka_offsets_store(client.handle, list)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.rdKafka(err, "store offsets") }
        if let error = RDKafkaPartitionList.firstError(list, "store offset") { throw error }
    }

    /// Commits these offsets (next offset to read per partition) and waits for the broker.
    public func commit(_ offsets: [KafkaPartition: Int64]) async throws {
        try await queue.run { [self] in try commitBlocking(offsets) }
    }

    /// `commit` on the caller's thread; safe in rebalance hooks.
    @available(*, noasync, message: "blocks the thread; use commit(_:)")
    public func commitBlocking(_ offsets: [KafkaPartition: Int64]) throws {
        guard !offsets.isEmpty else { return }
        let list = RDKafkaPartitionList.make(offsets.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let err = rd_kafka_commit(client.handle, list, 0)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.rdKafka(err, "commit offsets") }
        if let error = RDKafkaPartitionList.firstError(list, "commit offset") { throw error }
    }

    /// Commits what `storeOffsets` recorded and waits for the broker. Nothing stored is not an error.
    public func commitStored() async throws {
        try await queue.run { [self] in
            let err = rd_kafka_commit(client.handle, nil, 0)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__NO_OFFSET {
                throw KafkaError.rdKafka(err, "commit stored offsets")
            }
        }
    }

    /// The group's committed offsets for these partitions (`KafkaOffset.invalid` where none).
    public func committed(_ partitions: [KafkaPartition], timeout: Duration = .seconds(10)) async throws -> [KafkaPartition: Int64] {
        try await queue.run { [self] in
            let list = RDKafkaPartitionList.make(partitions)
            defer { rd_kafka_topic_partition_list_destroy(list) }
            let err = rd_kafka_committed(client.handle, list, Int32(timeout.milliseconds))
            if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.rdKafka(err, "read committed offsets") }
            if let error = RDKafkaPartitionList.firstError(list, "committed offset") { throw error }
            return Dictionary(uniqueKeysWithValues: RDKafkaPartitionList.entries(list).map { ($0.partition, $0.offset) })
        }
    }

    /// Moves the read position of assigned partitions.
    public func seek(_ offsets: [KafkaPartition: Int64], timeout: Duration = .seconds(10)) async throws {
        try await queue.run { [self] in
            let list = RDKafkaPartitionList.make(offsets.map { ($0.key, $0.value) })
            defer { rd_kafka_topic_partition_list_destroy(list) }
            if let error = rd_kafka_seek_partitions(client.handle, list, Int32(timeout.milliseconds)) {
                defer { rd_kafka_error_destroy(error) }
                throw KafkaError(
                    code: .librdkafka, message: "seek: " + String(cString: rd_kafka_error_string(error)),
                    librdkafkaCode: rd_kafka_error_code(error).rawValue,
                    isRetriable: rd_kafka_error_is_retriable(error) != 0)
            }
            if let error = RDKafkaPartitionList.firstError(list, "seek") { throw error }
        }
    }

    /// Stops fetching these partitions (their position is kept) until `resume`. Does not block.
    public func pause(_ partitions: [KafkaPartition]) throws {
        let list = RDKafkaPartitionList.make(partitions)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let err = rd_kafka_pause_partitions(client.handle, list)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.rdKafka(err, "pause \(partitions)") }
    }

    /// Starts fetching paused partitions again. Does not block.
    public func resume(_ partitions: [KafkaPartition]) throws {
        let list = RDKafkaPartitionList.make(partitions)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let err = rd_kafka_resume_partitions(client.handle, list)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.rdKafka(err, "resume \(partitions)") }
    }

    /// The earliest offset whose timestamp is at or after `milliseconds`, per partition.
    ///
    /// Throws `timestampNotFound` naming the partition when the broker returns no offset: either
    /// every message is older, or the broker cannot answer timestamp lookups at all (librdkafka's
    /// mock cluster cannot). It never returns the "end" sentinel as if it were an answer.
    public func offsets(forTimestamp milliseconds: Int64, partitions: [KafkaPartition], timeout: Duration = .seconds(10)) async throws -> [KafkaPartition: Int64] {
        try await queue.run { [self] in
            let list = RDKafkaPartitionList.make(partitions.map { ($0, milliseconds) })
            defer { rd_kafka_topic_partition_list_destroy(list) }
            let err = rd_kafka_offsets_for_times(client.handle, list, Int32(timeout.milliseconds))
            if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.rdKafka(err, "offsets for timestamp \(milliseconds)") }
            if let error = RDKafkaPartitionList.firstError(list, "offsets for timestamp \(milliseconds)") { throw error }
            var result: [KafkaPartition: Int64] = [:]
            for entry in RDKafkaPartitionList.entries(list) {
                guard entry.offset >= 0 else {
                    throw KafkaError(
                        code: .timestampNotFound,
                        message: "the broker returned no offset for timestamp \(milliseconds) ms on \(entry.partition): "
                            + "either every message there is older, or the broker cannot answer timestamp lookups "
                            + "(librdkafka's embedded mock cluster cannot); give explicit offsets instead")
                }
                result[entry.partition] = entry.offset
            }
            return result
        }
    }

    /// Asks the partition leader for the current watermarks.
    public func watermarks(_ partition: KafkaPartition, timeout: Duration = .seconds(10)) async throws -> KafkaWatermarks {
        try await queue.run { [self] in try watermarksBlocking(partition, timeout: timeout) }
    }

    /// `watermarks` on the caller's thread; safe in rebalance hooks.
    @available(*, noasync, message: "blocks the thread; use watermarks(_:timeout:)")
    public func watermarksBlocking(_ partition: KafkaPartition, timeout: Duration = .seconds(10)) throws -> KafkaWatermarks {
        try client.watermarks(partition, timeout: timeout)
    }

    /// The offset at which this consumer last reached the end of a partition (the partition's end
    /// as of that fetch); nil before it did, or unless `recordsEndOfPartition` is set.
    public func endReached(_ partition: KafkaPartition) -> Int64? {
        endsReached.withLock { $0[partition] }
    }

    /// The watermarks librdkafka last saw for a partition in a fetch response (no broker round
    /// trip); nil until a fetch returned data for it.
    public func cachedWatermarks(_ partition: KafkaPartition) -> KafkaWatermarks? {
        var low: Int64 = -1
        var high: Int64 = -1
        let err = rd_kafka_get_watermark_offsets(client.handle, partition.topic, partition.partition, &low, &high)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR, high >= 0 else { return nil }
        return KafkaWatermarks(low: low, high: high)
    }

    /// Messages behind the high watermark per assigned partition, from librdkafka's cached
    /// watermarks and local positions (no broker round trip). Partitions not yet fetched are absent.
    public func lag() throws -> [KafkaPartition: Int64] {
        let partitions = try assignment()
        let list = RDKafkaPartitionList.make(partitions)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        _ = rd_kafka_position(client.handle, list)
        var result: [KafkaPartition: Int64] = [:]
        for entry in RDKafkaPartitionList.entries(list) {
            var low: Int64 = -1
            var high: Int64 = -1
            let err = rd_kafka_get_watermark_offsets(client.handle, entry.partition.topic, entry.partition.partition, &low, &high)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR, high >= 0 else { continue }
            // A partition nothing was read from in this session has no position: absent, not guessed.
            if entry.offset >= 0 { result[entry.partition] = max(0, high - entry.offset) }
        }
        return result
    }

    // MARK: Closing

    /// Leaves the group (running the revoke hook), then frees the client; bounded by `timeout`
    /// because librdkafka 2.0.x can hang here after a broker outage (librdkafka #4674).
    public func close(timeout: Duration = .seconds(30)) async {
        let first = isClosed.withLock { closed in
            defer { closed = true }
            return !closed
        }
        guard first else { return }
        let client = self.client
        let logger = self.logger
        _ = try? await queue.run {
            let finished = runBounded(timeout: timeout) { _ = rd_kafka_consumer_close(client.handle) }
            if !finished { logger.error("consumer did not leave its group within \(timeout)") }
        }
        client.destroy(timeout: timeout)
    }

    // MARK: Rebalance

    private func rebalance(handle: OpaquePointer, err: rd_kafka_resp_err_t, list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) {
        let cooperative = String(cString: rd_kafka_rebalance_protocol(handle)) == "COOPERATIVE"
        let partitions = RDKafkaPartitionList.partitions(list)
        if err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS {
            let starts = hooks.onAssign(self, partitions)
            for index in 0..<Int(list.pointee.cnt) {
                let element = list.pointee.elems[index]
                let partition = KafkaPartition(topic: String(cString: element.topic), partition: element.partition)
                if let start = starts[partition] { list.pointee.elems[index].offset = start }
            }
            logger.info("partitions assigned", metadata: ["partitions": "\(partitions.map(\.description))"])
            if cooperative {
                report(rd_kafka_incremental_assign(handle, list), "incremental assign")
            } else {
                let result = rd_kafka_assign(handle, list)
                if result != RD_KAFKA_RESP_ERR_NO_ERROR { logger.error("\(KafkaError.rdKafka(result, "assign").description)") }
            }
        } else {
            let lost = rd_kafka_assignment_lost(handle) != 0
            revokedDuringPoll.withLock { revoked in
                revoked.formUnion(partitions)
                revocationPending.store(true, ordering: .releasing)
            }
            hooks.onRevoke(self, partitions, lost)
            logger.info("partitions revoked", metadata: ["partitions": "\(partitions.map(\.description))", "lost": "\(lost)"])
            if cooperative {
                report(rd_kafka_incremental_unassign(handle, list), "incremental unassign")
            } else {
                _ = rd_kafka_assign(handle, nil)
            }
        }
    }

    private func report(_ error: OpaquePointer?, _ context: String) {
        guard let error else { return }
        logger.error("\(context) failed: \(String(cString: rd_kafka_error_string(error)))")
        rd_kafka_error_destroy(error)
    }
}

/// Reuses topic name strings across a poll: most messages of a batch share a few topics.
struct TopicNameCache {
    private var last: (OpaquePointer, String)?

    mutating func name(of topic: OpaquePointer) -> String {
        if let last, last.0 == topic { return last.1 }
        let name = String(cString: rd_kafka_topic_name(topic))
        last = (topic, name)
        return name
    }
}

extension KafkaMessage {
    init(_ raw: UnsafeMutablePointer<rd_kafka_message_t>, topicNames: inout TopicNameCache, receivedAt: MonotonicInstant? = nil) {
        let message = raw.pointee
        let value = message.payload.map { [UInt8](UnsafeRawBufferPointer(start: $0, count: message.len)) } ?? []
        let key = message.key.map { [UInt8](UnsafeRawBufferPointer(start: $0, count: message.key_len)) }
        var kind = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let milliseconds = rd_kafka_message_timestamp(raw, &kind)
        let timestamp: KafkaTimestamp? =
            switch kind {
            case RD_KAFKA_TIMESTAMP_CREATE_TIME: KafkaTimestamp(milliseconds: milliseconds, kind: .createTime)
            case RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME: KafkaTimestamp(milliseconds: milliseconds, kind: .logAppendTime)
            default: nil
            }
        var headers: [KafkaHeader] = []
        var rawHeaders: OpaquePointer?
        if rd_kafka_message_headers(raw, &rawHeaders) == RD_KAFKA_RESP_ERR_NO_ERROR, let rawHeaders {
            var index = 0
            var name: UnsafePointer<CChar>?
            var bytes: UnsafeRawPointer?
            var size = 0
            while rd_kafka_header_get_all(rawHeaders, index, &name, &bytes, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
                let headerValue = bytes.map { [UInt8](UnsafeRawBufferPointer(start: $0, count: size)) }
                headers.append(KafkaHeader(name: name.map { String(cString: $0) } ?? "", value: headerValue))
                index += 1
            }
        }
        self.init(
            topic: topicNames.name(of: message.rkt), partition: message.partition, offset: message.offset,
            key: key, value: value, headers: headers, timestamp: timestamp, receivedAt: receivedAt)
    }
}
