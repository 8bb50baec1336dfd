import LeadflowAdmin
import LeadflowConfig
import LeadflowEngine
import LeadflowKafka
import Logging
import Synchronization

/// The daemon answers the admin endpoint: readiness from assignment and lag, metrics from its
/// registry, accounts from the engine (under the state lock, briefly; the hottest accounts from
/// a copy-on-write copy of the engine).
extension Daemon: AdminSource {
    /// Starts the admin endpoint when `admin.address` is set.
    func startAdmin() async throws -> AdminServer? {
        let settings = options.configuration.admin
        guard let (host, port) = settings.hostAndPort else { return nil }
        let token = try settings.resolvedToken()
        let server = try AdminServer(host: host, port: port, token: token, source: self)
        let listening = try await server.start()
        adminPortBox.withLock { $0 = listening }
        logger.info("admin endpoint listening", metadata: ["address": "\(host):\(listening)", "token": "\(token == nil ? "none" : "required")"])
        return server
    }

    /// Lag per owned partition and the gauges, exported once a second by the loop.
    func publishMetrics(consumer: KafkaConsumer, producer: KafkaProducer) {
        // Behind what the daemon has applied, not behind what the consumer has fetched: records
        // fetched ahead (up to `queued.min.messages`) and buffered for the merge are still to do.
        let owned = core.withLock { core in core.tasks.map { ($0.key, $0.value.next) } }
        let knownEnds = queriedEnds.withLock { $0 }
        var lag: [KafkaPartition: Int64] = [:]
        for (task, next) in owned {
            for (index, topic) in inputs.enumerated() {
                let partition = KafkaPartition(topic: topic, partition: task)
                let marks = consumer.cachedWatermarks(partition) ?? knownEnds[partition]
                if let behind = Self.processingLag(next: next[index], endReached: consumer.endReached(partition), marks: marks) {
                    lag[partition] = behind
                }
            }
        }
        let (counters, gauges) = core.withLock { core in
            core.lag = lag.filter { core.tasks[$0.key.partition] != nil }
            core.lagUnknown = core.tasks.keys.reduce(into: Set<KafkaPartition>()) { unknown, task in
                for topic in inputs where lag[KafkaPartition(topic: topic, partition: task)] == nil {
                    unknown.insert(KafkaPartition(topic: topic, partition: task))
                }
            }
            return (core.counters, DaemonMetrics.Gauges(
                lag: core.lag, accounts: core.engine.state.accounts.count, producerQueueDepth: producer.inFlightCount,
                inputBufferedBytes: core.bufferedInputBytes, lastSnapshot: core.lastSnapshot))
        }
        metrics.publish(counters, gauges: gauges)
    }

    /// Records from `next` (the next offset to apply; `KafkaOffset.beginning` before the first)
    /// to the partition's end, the later of the end reached and the last known high watermark;
    /// nil while neither is known.
    static func processingLag(next: Int64, endReached: Int64?, marks: KafkaWatermarks?) -> Int64? {
        guard marks != nil || endReached != nil else { return nil }
        let end = max(marks?.high ?? -1, endReached ?? -1)
        let from = next >= 0 ? next : marks?.low ?? 0
        return max(0, end - from)
    }

    public func readiness() -> (ready: Bool, json: String) {
        let limit = options.configuration.admin.readyMaxLag
        let (running, tasks, lag, restoring, unknown) = core.withLock {
            ($0.running, $0.tasks.keys.sorted(), $0.lag, $0.restoringTasks, $0.lagUnknown.sorted())
        }
        let worst = lag.max { $0.value < $1.value }
        let reason: String?
        if !running {
            reason = "the processing loop is not running"
        } else if restoring > 0 {
            reason = "restoring \(restoring) assigned tasks from their snapshots"
        } else if tasks.isEmpty {
            reason = "no input partitions assigned"
        } else if let first = unknown.first {
            // Right after an assignment, until the loop has seen where the partitions end.
            reason = "the end of \(first.topic):\(first.partition) is not known yet (\(unknown.count) partitions)"
        } else if let worst, worst.value > limit {
            reason = "\(worst.key.topic):\(worst.key.partition) lags \(worst.value) records (ready_max_lag \(limit))"
        } else {
            reason = nil
        }
        var writer = JSONWriter()
        writer.field("ready", reason == nil)
        writer.field("reason", reason)
        writer.field("tasks", raw: JSONWriter.array(tasks.map { String($0) }))
        writer.field("max_lag", worst.map { Int($0.value) } ?? 0)
        writer.field("ready_max_lag", limit)
        return (reason == nil, writer.finish())
    }

    public func metricsText() -> String { metrics.text }

    public func accountJSON(idOrDomain: String) -> String? {
        core.withLock { core in core.engine.accountID(lookingUp: idOrDomain).flatMap { core.engine.accountJSON(accountID: $0) } }
    }

    /// Scans a copy of the engine taken under the lock, not the engine itself: the copy shares
    /// the state's storage (copy on write), so the processing loop waits only for the copy, not
    /// for a pass over every account (a second or more at a million accounts when it held the lock).
    public func topAccountsJSON(limit: Int) -> String {
        let engine = core.withLock { $0.engine }
        return engine.hottestAccountsJSON(limit: limit)
    }
}
