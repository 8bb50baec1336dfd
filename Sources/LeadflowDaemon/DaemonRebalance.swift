import Foundation
import LeadflowEngine
import LeadflowKafka
import Logging
import LeadflowConfig
import Synchronization

extension Daemon {
    /// Tasks of a set of partitions: their partition numbers.
    private func tasks(of partitions: [KafkaPartition]) -> [Int32] {
        Array(Set(partitions.filter { inputs.contains($0.topic) }.map(\.partition))).sorted()
    }

    /// Restores each newly assigned task from its latest valid snapshot (or from the beginning),
    /// reads back outputs already delivered past that point, and resumes at the snapshot's offsets.
    /// The read-back is one pass over the output topics for every task assigned together: each
    /// task reading them on its own took about half a second per task after a crash (64 tasks,
    /// 86,000 outputs since their snapshots: 30 s before the first input was applied).
    func assigned(_ partitions: [KafkaPartition], consumer: KafkaConsumer) -> [KafkaPartition: Int64] {
        var starts: [KafkaPartition: Int64] = [:]
        let assignedTasks = tasks(of: partitions)
        core.withLock { $0.restoringTasks = assignedTasks.count }
        defer { core.withLock { $0.restoringTasks = 0 } }
        // First every task's state, so the read-back knows where each one resumes.
        var resumes: [Int32: ReadBack] = [:]
        var restored: [Int32: (sequence: Int64, summary: String)] = [:]
        for task in assignedTasks {
            var damaged = 0
            let snapshot = store.loadLatest(task: task) { path, reason in
                damaged += 1
                logger.error("snapshot damaged; set aside", metadata: ["path": "\(path)", "reason": "\(reason)"])
            }
            var offsets: [String: Int64] = [:]
            for topic in inputs { offsets[topic] = snapshot?.header.inputOffsets[topic] ?? KafkaOffset.beginning }
            resumes[task] = ReadBack(since: snapshot?.header.outputWatermarks, inputOffsets: offsets)
            restored[task] = (
                snapshot?.header.sequence ?? 0,
                snapshot.map { "sequence \($0.header.sequence), \($0.header.accounts) accounts" } ?? "none: rebuilding from the beginning"
            )
            core.withLock { core in
                if let snapshot { core.engine.state.merge(snapshot.state) }
                core.counters.corruptSnapshots += damaged
            }
        }
        let delivered = deliveredOutputs(resuming: resumes)
        for task in assignedTasks {
            let offsets = resumes[task]!.inputOffsets
            let suppress = delivered[task] ?? []
            core.withLock { core in
                // The restored state reflects everything before these offsets: committing them is safe
                // (an earlier run may have died before its last commit).
                core.tasks[task] = TaskRuntime(suppress: suppress, next: inputs.map { offsets[$0]! }, sequence: restored[task]!.sequence + 1)
                // Not ready until the loop has measured the new task's lag: without this, /readyz
                // asked between the assignment and the loop's next look saw no lag and said ready.
                for topic in inputs { core.lagUnknown.insert(KafkaPartition(topic: topic, partition: task)) }
                core.restoringTasks -= 1
            }
            for topic in inputs { starts[KafkaPartition(topic: topic, partition: task)] = offsets[topic] }
            logger.info(
                "task assigned", metadata: ["task": "\(task)", "snapshot": "\(restored[task]!.summary)", "suppressing": "\(suppress.count)"])
        }
        core.withLock { $0.assignments += 1 }
        return starts
    }

    /// Before partitions are released: wait for every output to be acknowledged, commit, snapshot,
    /// and drop the task's state.
    func revoked(_ partitions: [KafkaPartition], consumer: KafkaConsumer, producer: KafkaProducer, lost: Bool) {
        let revokedTasks = tasks(of: partitions)
        guard !revokedTasks.isEmpty else { return }
        do { try producer.flushBlocking(timeout: .seconds(options.configuration.shutdownTimeoutSeconds)) } catch {
            logger.error("outputs still unacknowledged at revocation; their inputs stay uncommitted", metadata: ["error": "\(error)"])
        }
        let points = core.withLock { core in
            applyDeliveries(to: &core)
            return core.commitPoints()
        }.filter { revokedTasks.contains($0.key.partition) }
        if !lost && !points.isEmpty {
            do {
                try consumer.commitBlocking(points)
                core.withLock { core in for (partition, offset) in points { core.committed[partition] = offset } }
            } catch {
                logger.error("commit at revocation failed", metadata: ["error": "\(error)"])
            }
        }
        // Outputs are flushed and their reports applied above, so the known ends are at or
        // before anything sent later. Every revoked task's state comes out in one pass.
        let (taken, watermarks) = core.withLock { core -> ([(Int32, EngineState, TaskRuntime?)], [String: Int64]) in
            let parts = core.engine.state.extract(tasks: Set(revokedTasks))
            let taken = revokedTasks.map { task in (task, parts[task]!, core.tasks.removeValue(forKey: task)) }
            for task in revokedTasks { core.release(task: task) }
            return (taken, outputWatermarks(core.outputEnds))
        }
        snapshotsQueued.withLock { $0.subtract(revokedTasks) }
        for (task, state, runtime) in taken {
            guard let runtime else { continue }
            // After any periodic snapshot of the task still queued, and before the release.
            snapshotWriter.sync { _ = writeSnapshot(task: task, state: state, runtime: runtime, watermarks: watermarks) }
        }
    }

    /// Asks the broker for the end of every output partition and raises `outputEnds` to each
    /// answer as it arrives, on a thread of its own (broker round trips, one per partition). An
    /// answer received before a state copy is at or before where any later output lands.
    func refreshOutputEnds(consumer: KafkaConsumer) {
        guard outputEndsQueryInFlight.withLock({ flag in defer { flag = true }; return !flag }) else { return }
        Thread.detachNewThread { [self] in
            for partition in outputPartitions(consumer: consumer) {
                guard let marks = try? admin.watermarksBlocking(partition, timeout: .seconds(5)) else { continue }
                core.withLock { core in core.outputEnds[partition] = max(core.outputEnds[partition] ?? 0, marks.high) }
            }
            outputEndsQueryInFlight.withLock { $0 = false }
        }
    }

    /// Every partition of the output topics (partition counts are read once and remembered).
    func outputPartitions(consumer: KafkaConsumer) -> [KafkaPartition] {
        if let known = outputPartitionCache.withLock({ $0 }) { return known }
        var partitions: [KafkaPartition] = []
        for topic in outputs {
            let count = (try? admin.partitionCountBlocking(topic: topic)) ?? 0
            partitions += (0..<Int32(count)).map { KafkaPartition(topic: topic, partition: $0) }
        }
        if partitions.count >= outputs.count { outputPartitionCache.withLock { $0 = partitions } }
        return partitions
    }

    @discardableResult
    func writeSnapshot(task: Int32, state: EngineState, runtime: TaskRuntime, watermarks: [String: Int64]) -> Bool {
        let header = Snapshot.Header(
            task: task, sequence: runtime.sequence, writtenAtMilliseconds: Int64(Date().timeIntervalSince1970 * 1_000),
            configVersion: core.withLock { $0.engine.model.version }, inputOffsets: runtime.nextOffsets(topics: inputs), outputWatermarks: watermarks,
            accounts: state.accounts.count, heldVisitors: state.heldVisitors.count, identifiedVisitors: state.identifiedVisitors.count)
        do {
            let started = ContinuousClock.now
            let written = try store.write(Snapshot(header: header, state: state))
            let elapsed = (ContinuousClock.now - started).components
            let stats = SnapshotStats(writtenAt: Date(), seconds: Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18, bytes: written.bytes)
            core.withLock { core in
                core.counters.snapshotsWritten += 1
                core.lastSnapshot = stats
            }
            logger.debug("snapshot written", metadata: ["path": "\(written.path)", "bytes": "\(written.bytes)"])
            return true
        } catch {
            core.withLock { $0.counters.snapshotFailures += 1 }
            logger.error("snapshot failed; the previous one stays in place", metadata: ["task": "\(task)", "error": "\(error)"])
            return false
        }
    }

    /// Where a task resumes: the output ends its snapshot recorded ("topic/partition"; nil
    /// without a snapshot) and its input offsets.
    struct ReadBack {
        var since: [String: Int64]?
        var inputOffsets: [String: Int64]
    }

    /// Per task, the ids of outputs already in the output topics past its `since` (or since the
    /// beginning), caused by its inputs at or after its `inputOffsets`: its replay must not send
    /// them again. One reader reads each output partition once, from the earliest point any of
    /// the tasks needs.
    func deliveredOutputs(resuming tasks: [Int32: ReadBack]) -> [Int32: Set<String>] {
        var ids: [Int32: Set<String>] = [:]
        guard !tasks.isEmpty else { return ids }
        do {
            var readerConfiguration = KafkaConsumerConfiguration(client: clientConfiguration, groupID: "leadflow-readback")
            readerConfiguration.queuedMinMessages = 100_000
            let reader = try KafkaConsumer(configuration: readerConfiguration, logger: logger)
            var ends: [KafkaPartition: Int64] = [:]
            var starts: [KafkaPartition: Int64] = [:]
            for key in outputPartitions(consumer: reader) {
                guard let marks = try? admin.watermarksBlocking(key, timeout: .seconds(5)) else { continue }
                let name = "\(key.topic)/\(key.partition)"
                let start = tasks.values.map { max($0.since?[name] ?? marks.low, marks.low) }.min()!
                if start < marks.high {
                    starts[key] = start
                    ends[key] = marks.high
                }
            }
            guard !starts.isEmpty else { return ids }
            try reader.assign(starts)
            var remaining = Set(starts.keys)
            var idlePolls = 0
            while !remaining.isEmpty && idlePolls < 100 {
                let batch = try reader.pollBlocking(maxMessages: 5_000, timeout: .milliseconds(100))
                idlePolls = batch.isEmpty ? idlePolls + 1 : 0
                for message in batch {
                    if let end = ends[message.topicPartition], message.offset + 1 >= end { remaining.remove(message.topicPartition) }
                    guard let taskHeader = message.header("leadflow-task")?.value, let task = Int32(String(decoding: taskHeader, as: UTF8.self)),
                        let resume = tasks[task], let inputHeader = message.header("leadflow-input")?.value, let id = message.header("leadflow-id")?.value
                    else { continue }
                    // Before the task's own recorded end: from inputs its snapshot already reflects.
                    if let since = resume.since?["\(message.topic)/\(message.partition)"], message.offset < since { continue }
                    let parts = String(decoding: inputHeader, as: UTF8.self).split(separator: ":")
                    guard parts.count == 3, let offset = Int64(parts[2]) else { continue }
                    let from = resume.inputOffsets[String(parts[0])] ?? KafkaOffset.beginning
                    if from < 0 || offset >= from { ids[task, default: []].insert(String(decoding: id, as: UTF8.self)) }
                }
            }
            if !remaining.isEmpty { logger.warning("read-back of outputs incomplete", metadata: ["partitions": "\(remaining)"]) }
            runBlocking { await reader.close(timeout: .seconds(5)) }
        } catch {
            logger.error(
                "cannot read back delivered outputs; duplicates are possible for these tasks",
                metadata: ["tasks": "\(tasks.keys.sorted())", "error": "\(error)"])
        }
        return ids
    }
}

/// Moves a value the code hands over exclusively to another thread.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// Runs async work from a thread that may block (rebalance hooks run on the consumer's queue).
func runBlocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) rethrows -> T {
    let semaphore = DispatchSemaphore(value: 0)
    let result = Mutex<Result<T, any Error>?>(nil)
    Task {
        let value: Result<T, any Error>
        do { value = .success(try await body()) } catch { value = .failure(error) }
        result.withLock { $0 = value }
        semaphore.signal()
    }
    semaphore.wait()
    switch result.withLock({ $0 })! {
    case .success(let value): return value
    case .failure(let error): return try { throw error }()
    }
}
