import CKafkaShims
import CRdKafka
import Logging
import Synchronization

/// An idempotent Kafka producer with a bounded number of unacknowledged messages.
///
/// Each message gets an id from `send`; its `KafkaDeliveryReport` (success with offset, or the
/// librdkafka error) goes to the `onDelivery` handler on the producer's poll thread. `send`
/// suspends while `maxInFlightMessages` are unacknowledged, so memory stays bounded when
/// brokers are slow or away.
public final class KafkaProducer: Sendable {
    private struct State {
        var inFlight = 0
        var nextID: UInt64 = 1
        var capacityWaiters: [CheckedContinuation<Void, Never>] = []
        var awaitingDelivery: [UInt64: CheckedContinuation<KafkaDeliveryReport, any Error>] = [:]
        var closed = false
    }

    let client: RDKafkaClient
    private let maxInFlight: Int
    private let state = Mutex(State())
    private let onDelivery: @Sendable (KafkaDeliveryReport) -> Void
    private let pollThread: PollThread
    private let queue = ClientQueue(label: "leadflow.kafka.producer")
    private let logger: Logger

    public init(
        configuration: KafkaProducerConfiguration, logger: Logger,
        onDelivery: @escaping @Sendable (KafkaDeliveryReport) -> Void = { _ in }
    ) throws {
        if configuration.client.bootstrapServers.isEmpty {
            throw KafkaError(code: .invalidConfiguration, message: "no bootstrap servers ('bootstrap.servers') given")
        }
        if configuration.maxInFlightMessages < 1 {
            throw KafkaError(code: .invalidConfiguration, message: "maxInFlightMessages must be at least 1, got \(configuration.maxInFlightMessages)")
        }
        client = try RDKafkaClient(
            kind: .producer, properties: configuration.librdkafkaProperties(), logger: logger, deliveryReports: true)
        maxInFlight = configuration.maxInFlightMessages
        self.onDelivery = onDelivery
        self.logger = logger
        pollThread = PollThread(handle: client.handle)
        client.events.delivery.withLock { slot in
            slot = DeliveryCallback { [weak self] message in self?.delivered(message) }
        }
    }

    deinit {
        pollThread.stop()
        client.destroy(timeout: .seconds(10))
    }

    /// Where the client stands with its brokers.
    public var connectivity: KafkaConnectivity { client.events.connectivity.withLock { $0 } }

    /// Messages sent and not yet reported.
    public var inFlightCount: Int { state.withLock { $0.inFlight } }

    /// Enqueues a message, first waiting while the in-flight limit is reached. Returns its id.
    @discardableResult
    public func send(_ message: KafkaOutgoingMessage) async throws -> UInt64 {
        while true {
            if let id = try reserve() { return try enqueue(message, id: id) }
            await waitForCapacity()
        }
    }

    /// Enqueues a message or throws `queueFull` when the in-flight limit is reached. Never waits.
    @discardableResult
    public func trySend(_ message: KafkaOutgoingMessage) throws -> UInt64 {
        guard let id = try reserve() else {
            throw KafkaError(code: .queueFull, message: "\(maxInFlight) messages already in flight", isRetriable: true)
        }
        return try enqueue(message, id: id)
    }

    /// Sends one message and waits for its delivery report.
    public func sendAndWait(_ message: KafkaOutgoingMessage) async throws -> KafkaDeliveryReport {
        while true {
            if let id = try reserve() {
                return try await withCheckedThrowingContinuation { continuation in
                    // Registered before enqueueing, so even an immediate report finds its waiter.
                    state.withLock { $0.awaitingDelivery[id] = continuation }
                    do { _ = try enqueue(message, id: id) } catch {
                        state.withLock { _ = $0.awaitingDelivery.removeValue(forKey: id) }
                        continuation.resume(throwing: error)
                    }
                }
            }
            await waitForCapacity()
        }
    }

    /// Waits until every in-flight message is reported, or `timeout` passes (then throws `timedOut`).
    public func flush(timeout: Duration) async throws {
        try await queue.run { [self] in try flushBlocking(timeout: timeout) }
    }

    /// `flush` on the caller's thread; for rebalance hooks and dedicated threads.
    @available(*, noasync, message: "blocks the thread; use flush(timeout:)")
    public func flushBlocking(timeout: Duration) throws {
        let err = rd_kafka_flush(client.handle, Int32(timeout.milliseconds))
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError(
                code: .timedOut, message: "flush: \(rd_kafka_outq_len(client.handle)) messages still unacknowledged after \(timeout)",
                librdkafkaCode: err.rawValue, isRetriable: true)
        }
    }

    /// Flushes (bounded by `timeout`), then stops the poll thread and frees the client.
    /// Messages still unacknowledged are reported as failed by librdkafka on destroy.
    public func close(timeout: Duration = .seconds(30)) async {
        do { try await flush(timeout: timeout) } catch { logger.warning("closing producer: \(error)") }
        let waiters = state.withLock { state in
            state.closed = true
            defer { state.capacityWaiters.removeAll() }
            return state.capacityWaiters
        }
        waiters.forEach { $0.resume() }
    }

    // MARK: Internals

    private func waitForCapacity() async {
        await withCheckedContinuation { continuation in
            let resumeNow = state.withLock { state in
                if state.closed || state.inFlight < maxInFlight { return true }
                state.capacityWaiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    private func reserve() throws -> UInt64? {
        if let fatal = client.fatalError { throw fatal }
        return try state.withLock { state -> UInt64? in
            if state.closed { throw KafkaError(code: .closed, message: "producer is closed") }
            guard state.inFlight < maxInFlight else { return nil }
            state.inFlight += 1
            defer { state.nextID += 1 }
            return state.nextID
        }
    }

    private func enqueue(_ message: KafkaOutgoingMessage, id: UInt64) throws -> UInt64 {
        var headers: OpaquePointer?
        if !message.headers.isEmpty {
            headers = rd_kafka_headers_new(message.headers.count)
            for header in message.headers {
                if let value = header.value {
                    value.withUnsafeBytes { bytes in
                        _ = rd_kafka_header_add(headers, header.name, -1, bytes.baseAddress, bytes.count)
                    }
                } else {
                    _ = rd_kafka_header_add(headers, header.name, -1, nil, 0)
                }
            }
        }
        let code = message.value.withUnsafeBytes { value in
            withOptionalBytes(message.key) { key in
                lf_produce(
                    client.handle, message.topic, message.partition ?? RD_KAFKA_PARTITION_UA,
                    key?.baseAddress, key?.count ?? 0, value.baseAddress, value.count,
                    headers, message.timestampMilliseconds ?? 0, UnsafeMutableRawPointer(bitPattern: UInt(id)))
            }
        }
        let err = rd_kafka_resp_err_t(rawValue: code)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            if let headers { rd_kafka_headers_destroy(headers) }
            release(count: 1)
            throw KafkaError.rdKafka(err, "produce to \(message.topic)")
        }
        return id
    }

    private func delivered(_ raw: UnsafePointer<rd_kafka_message_t>) {
        let message = raw.pointee
        let id = UInt64(UInt(bitPattern: message._private))
        let topic = message.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? ""
        let error = message.err == RD_KAFKA_RESP_ERR_NO_ERROR
            ? nil : KafkaError.rdKafka(message.err, "deliver message \(id) to \(topic)[\(message.partition)]")
        if error == nil { client.events.markConnected() }
        let report = KafkaDeliveryReport(id: id, topic: topic, partition: message.partition, offset: message.offset, error: error)
        let waiter = state.withLock { $0.awaitingDelivery.removeValue(forKey: id) }
        release(count: 1)
        onDelivery(report)
        waiter?.resume(returning: report)
    }

    private func release(count: Int) {
        let waiters = state.withLock { state in
            state.inFlight -= count
            defer { state.capacityWaiters.removeAll() }
            return state.capacityWaiters
        }
        waiters.forEach { $0.resume() }
    }
}

private func withOptionalBytes<R>(_ bytes: [UInt8]?, _ body: (UnsafeRawBufferPointer?) -> R) -> R {
    guard let bytes else { return body(nil) }
    return bytes.withUnsafeBytes { body($0) }
}
