import Foundation
import LeadflowConfig
import LeadflowEngine
import LeadflowKafka
import Logging
import Synchronization

/// What `leadflow replay` reads, from where to where, and what it does with the result.
public struct ReplayOptions: Sendable {
    public enum Start: Sendable, Equatable {
        /// Every input partition from its first retained record.
        case beginning
        /// Listed partitions from these offsets; the others from their first retained record.
        case offsets([KafkaPartition: Int64])
        /// Offsets-for-times of this time (milliseconds since the epoch) on every partition.
        case time(milliseconds: Int64)
    }

    public var configuration: LeadflowConfiguration
    public var directory: AccountDirectory
    public var start: Start = .beginning
    /// A partition ends at its first record stamped after this time (milliseconds), if given,
    /// and in any case at its end offset as of the start of the replay.
    public var endTime: Int64?
    /// Nil: report only (dry run). Otherwise outputs go to the output topics with this suffix.
    public var publishSuffix: String?
    /// Seed state from the snapshots in this folder (or this one snapshot file): their tasks
    /// start from the snapshot's offsets.
    public var fromSnapshot: String?
    /// Write each task's final state here as a snapshot a new deployment can start from.
    public var writeSnapshotDirectory: String?
    /// The model running today, for a what-if comparison against `configuration`'s model.
    public var compareModel: ScoringModel?
    /// The replay's own consumer group: it never commits, and the live group is never touched.
    public var groupID: String
    public var onProgress: (@Sendable (ReplayProgress) -> Void)?

    public init(configuration: LeadflowConfiguration, directory: AccountDirectory) {
        self.configuration = configuration
        self.directory = directory
        groupID = configuration.kafka.groupID + ".replay"
    }
}

/// How far a replay has got, in input records.
public struct ReplayProgress: Sendable {
    public var processed: Int64
    public var total: Int64
    public var elapsed: Duration
}

/// Why a replay could not run or finish, each naming what to fix.
public enum ReplayError: Error, CustomStringConvertible {
    case missingTopic(String)
    case notAnInput(KafkaPartition, inputs: [String])
    case timestampLookupFailed(time: Int64, reason: String)
    case stalled([KafkaPartition])
    case deliveryFailed(count: Int, first: String)
    case snapshot(String)

    public var description: String {
        switch self {
        case .missingTopic(let topic): "input topic '\(topic)' does not exist on the cluster (topics.inputs in the config)"
        case .notAnInput(let partition, let inputs):
            "--from-offsets names \(partition.topic):\(partition.partition), which is not a partition of the input topics \(inputs.joined(separator: ", "))"
        case .timestampLookupFailed(let time, let reason):
            "the cluster could not say which offsets hold records from \(EventTime(milliseconds: time)) (offsets-for-times: \(reason)). "
                + "The embedded development broker never answers these lookups, and a real cluster cannot when the topic predates "
                + "message timestamps. Give start offsets instead: --from-offsets beginning, or --from-offsets TOPIC:PARTITION:OFFSET,…"
        case .stalled(let partitions):
            "no records arrived for 30 s from \(partitions.map { "\($0.topic):\($0.partition)" }.joined(separator: ", ")) although their end offsets are further on; is the cluster reachable?"
        case .deliveryFailed(let count, let first):
            "\(count) replayed outputs were not acknowledged by the cluster (first: \(first)); nothing was committed, run the replay again"
        case .snapshot(let reason): reason
        }
    }
}

/// `leadflow replay`: the live daemon's processing, over a fixed range of the input topics, in
/// the live merge order and with the same clock readings (record timestamps), so its outputs
/// are the live ones byte for byte apart from the replay marker. It uses its own consumer group
/// and commits nothing.
public final class Replay: Sendable {
    let options: ReplayOptions
    let logger: Logger
    private let deliveryFailures = Mutex<(count: Int, first: String?)>((0, nil))

    public init(options: ReplayOptions, logger: Logger) {
        self.options = options
        self.logger = logger
    }

    public func run() async throws -> ReplayReport {
        let configuration = options.configuration
        let inputs = configuration.topics.inputs
        let client = KafkaClientConfiguration(
            bootstrapServers: configuration.kafka.brokers, clientID: configuration.kafka.clientID + "-replay",
            properties: try configuration.kafka.resolvedProperties())
        let admin = try KafkaAdmin(configuration: client, logger: logger)
        var readerConfiguration = KafkaConsumerConfiguration(client: client, groupID: options.groupID)
        readerConfiguration.queuedMinMessages = 200_000
        let reader = try KafkaConsumer(configuration: readerConfiguration, logger: logger)

        // The range: fixed end offsets, start offsets from the options or the seed snapshots.
        var ends: [KafkaPartition: Int64] = [:]
        var lows: [KafkaPartition: Int64] = [:]
        let referenceTopic = configuration.topics.accounts
        // All topics at once: asking for one by name makes auto-creating brokers create it.
        let cluster = try await admin.metadata()
        for topic in inputs + (referenceTopic.map { [$0] } ?? []) {
            guard let count = cluster.topic(topic)?.partitionCount, count > 0 else { throw ReplayError.missingTopic(topic) }
            for number in 0..<Int32(count) {
                let partition = KafkaPartition(topic: topic, partition: number)
                let marks = try await admin.watermarks(partition, timeout: .seconds(10))
                ends[partition] = marks.high
                lows[partition] = marks.low
            }
        }
        var starts = try await startOffsets(lows: lows, ends: ends, reader: reader)
        let model = CompiledModel(configuration.model)
        var state = EngineState()
        for snapshot in try seedSnapshots() {
            state.merge(snapshot.state)
            for topic in inputs {
                let partition = KafkaPartition(topic: topic, partition: snapshot.header.task)
                guard let offset = snapshot.header.inputOffsets[topic], offset >= 0, let end = ends[partition] else { continue }
                starts[partition] = min(offset, end)
            }
            logger.info("seeded from snapshot", metadata: ["task": "\(snapshot.header.task)", "accounts": "\(snapshot.header.accounts)"])
        }
        var processing = ReplayProcessing(
            model: model, compareModel: options.compareModel.map(CompiledModel.init), directory: options.directory, state: state)

        let producer = try options.publishSuffix.map { _ in
            try KafkaProducer(configuration: KafkaProducerConfiguration(client: client), logger: logger) { [self] report in
                guard let error = report.error else { return }
                deliveryFailures.withLock { failures in
                    failures.count += 1
                    if failures.first == nil { failures.first = "\(report.topic): \(error)" }
                }
            }
        }

        var topicIndex = Dictionary(uniqueKeysWithValues: inputs.enumerated().map { ($0.element, $0.offset) })
        if let referenceTopic { topicIndex[referenceTopic] = -1 }
        var merge = ReplayMerge(topicIndex: topicIndex, starts: starts, ends: ends, endTime: options.endTime)
        var report = ReplayReport()
        report.startOffsets = starts
        report.endOffsets = ends
        let total = merge.total
        logger.info("replay started", metadata: ["records": "\(total)", "group": "\(options.groupID)", "partitions": "\(ends.count)"])
        let began = ContinuousClock.now
        var lastProgress = began
        var lastArrival = began
        let assignment = merge.unfinishedStarts
        if !assignment.isEmpty { try reader.assign(assignment) }
        while !merge.isFinished {
            let batch = try await reader.poll(maxMessages: 5_000, timeout: .milliseconds(100))
            if !batch.isEmpty { lastArrival = .now }
            merge.accept(batch)
            while let message = merge.next() {
                if message.topic == referenceTopic {
                    // Reference data as of each record's time, exactly as the live daemon applies it.
                    if !processing.applyReference(message) {
                        logger.warning("account-reference record rejected", metadata: ["source": "\(message.topic):\(message.partition):\(message.offset)"])
                    }
                    report.referenceRecords += 1
                    continue
                }
                let result = processing.process(message)
                report.count(result)
                let records = PublishedOutput.records(
                    for: result, input: message, task: message.partition, topics: configuration.topics,
                    topicSuffix: options.publishSuffix ?? "", replayed: true)
                report.count(records)
                if let producer {
                    for record in records { _ = try await producer.send(record.message) }
                }
            }
            if ContinuousClock.now - lastProgress >= .milliseconds(500) {
                lastProgress = .now
                options.onProgress?(ReplayProgress(processed: merge.processed, total: total, elapsed: .now - began))
            }
            if ContinuousClock.now - lastArrival >= .seconds(30) { throw ReplayError.stalled(merge.waitingOn) }
        }
        options.onProgress?(ReplayProgress(processed: merge.processed, total: total, elapsed: .now - began))
        if let producer {
            try await producer.flush(timeout: .seconds(configuration.shutdownTimeoutSeconds))
            await producer.close(timeout: .seconds(configuration.shutdownTimeoutSeconds))
            let failures = deliveryFailures.withLock { $0 }
            if failures.count > 0 { throw ReplayError.deliveryFailed(count: failures.count, first: failures.first ?? "") }
        }
        await reader.close(timeout: .seconds(5))
        let elapsed = (ContinuousClock.now - began).components
        report.seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
        report.accountsInState = processing.engine.state.accounts.count
        report.whatIf = processing.comparison?.report()
        if let folder = options.writeSnapshotDirectory {
            report.snapshotsWritten = try await writeSnapshots(processing.engine, to: folder, reachedOffsets: merge.nextOffsets, admin: admin)
        }
        return report
    }

    /// Start offsets per partition, clamped to what the partition still holds.
    private func startOffsets(lows: [KafkaPartition: Int64], ends: [KafkaPartition: Int64], reader: KafkaConsumer) async throws -> [KafkaPartition: Int64] {
        var starts = lows
        switch options.start {
        case .beginning:
            break
        case .offsets(let listed):
            for (partition, offset) in listed {
                guard options.configuration.topics.inputs.contains(partition.topic), let low = lows[partition], let end = ends[partition] else {
                    throw ReplayError.notAnInput(partition, inputs: options.configuration.topics.inputs)
                }
                if offset < low { logger.warning("start offset before the partition's first record; starting there", metadata: ["partition": "\(partition)", "first": "\(low)"]) }
                starts[partition] = min(max(offset, low), end)
            }
        case .time(let milliseconds):
            // Asked per partition: "no offset" means every record there is older (start at the
            // end), unless no partition has an answer, when the broker cannot answer at all.
            var unanswered: [KafkaPartition] = []
            var lastError = ""
            let inputPartitions = ends.keys.filter { options.configuration.topics.inputs.contains($0.topic) }
            for partition in inputPartitions.sorted(by: { ($0.topic, $0.partition) < ($1.topic, $1.partition) }) {
                do {
                    let found = try await reader.offsets(forTimestamp: milliseconds, partitions: [partition])
                    starts[partition] = min(found[partition] ?? ends[partition]!, ends[partition]!)
                } catch let error as KafkaError where error.code == .timestampNotFound {
                    unanswered.append(partition)
                    starts[partition] = ends[partition]!
                    lastError = "\(error)"
                } catch {
                    throw ReplayError.timestampLookupFailed(time: milliseconds, reason: "\(error)")
                }
            }
            if unanswered.count == inputPartitions.count { throw ReplayError.timestampLookupFailed(time: milliseconds, reason: lastError) }
            if !unanswered.isEmpty {
                logger.info("partitions with no record at or after --from are skipped", metadata: ["partitions": "\(unanswered)"])
            }
        }
        return starts
    }

    private func seedSnapshots() throws -> [Snapshot] {
        guard let path = options.fromSnapshot else { return [] }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ReplayError.snapshot("--from-snapshot \(path): no such file or folder")
        }
        if !isDirectory.boolValue {
            do { return [try SnapshotStore.load(path)] } catch {
                throw ReplayError.snapshot("--from-snapshot \(path): \(error)")
            }
        }
        let store = SnapshotStore(directory: path, keep: Int.max)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        let tasks = Set(names.compactMap { name -> Int32? in
            guard name.hasPrefix("task-"), name.hasSuffix(".snap") else { return nil }
            return Int32(name.dropFirst(5).prefix { $0 != "." })
        })
        let snapshots = tasks.sorted().compactMap { task in
            store.loadLatest(task: task, setAside: false) { file, reason in
                logger.error("seed snapshot damaged; trying an older one", metadata: ["path": "\(file)", "reason": "\(reason)"])
            }
        }
        if snapshots.isEmpty { throw ReplayError.snapshot("--from-snapshot \(path): no valid snapshot in the folder") }
        return snapshots
    }

    /// One snapshot per task, holding the offsets the replay reached, in the daemon's layout.
    private func writeSnapshots(_ engine: Engine, to folder: String, reachedOffsets: [KafkaPartition: Int64], admin: KafkaAdmin) async throws -> [String] {
        let store = SnapshotStore(directory: folder, keep: options.configuration.snapshots.keep)
        // Outputs the live topics already hold need no read-back by a daemon starting from these.
        var outputWatermarks: [String: Int64] = [:]
        let topics = options.configuration.topics
        let cluster = try? await admin.metadata()
        for topic in [topics.routingDecisions, topics.surgeTriggers, topics.deadLetters] {
            let count = cluster?.topic(topic)?.partitionCount
            for number in 0..<Int32(count ?? 0) {
                if let marks = try? await admin.watermarks(KafkaPartition(topic: topic, partition: number)) {
                    outputWatermarks["\(topic)/\(number)"] = marks.high
                }
            }
        }
        var paths: [String] = []
        let inputs = options.configuration.topics.inputs
        for task in Set(reachedOffsets.keys.filter { inputs.contains($0.topic) }.map(\.partition)).sorted() {
            var offsets: [String: Int64] = [:]
            for (partition, offset) in reachedOffsets where partition.partition == task && inputs.contains(partition.topic) {
                offsets[partition.topic] = offset
            }
            let state = engine.state.copy(task: task)
            let header = Snapshot.Header(
                task: task, sequence: (store.files(task: task).first?.sequence ?? 0) + 1,
                writtenAtMilliseconds: Int64(Date().timeIntervalSince1970 * 1_000), configVersion: engine.model.version,
                inputOffsets: offsets, outputWatermarks: outputWatermarks, accounts: state.accounts.count,
                heldVisitors: state.heldVisitors.count, identifiedVisitors: state.identifiedVisitors.count)
            do { paths.append(try store.write(Snapshot(header: header, state: state)).path) } catch {
                throw ReplayError.snapshot("\(error)")
            }
        }
        return paths
    }
}

/// The engine (or two, for a what-if) a replay feeds.
struct ReplayProcessing {
    private var single: Engine
    private(set) var comparison: WhatIfComparison?

    init(model: CompiledModel, compareModel: CompiledModel?, directory: AccountDirectory, state: EngineState) {
        comparison = compareModel.map { WhatIfComparison(proposed: model, current: $0, directory: directory, state: state) }
        single = Engine(model: model, directory: comparison == nil ? directory : AccountDirectory(), state: comparison == nil ? state : EngineState())
    }

    /// The engine running the replay's model (the proposed one in a what-if).
    var engine: Engine { comparison?.proposed ?? single }

    /// Applies an account-reference record to every engine's directory; false when rejected.
    mutating func applyReference(_ message: KafkaMessage) -> Bool {
        if comparison != nil { return comparison!.applyReference(key: message.key, value: message.value) }
        if case .failure = single.directory.applyReference(key: message.key, value: message.value) { return false }
        return true
    }

    /// The record timestamp is the clock reading, exactly as in the live daemon.
    mutating func process(_ message: KafkaMessage) -> Engine.Result {
        let clock = message.timestamp.map { EventTime(milliseconds: $0.milliseconds) }
        return message.value.withUnsafeBufferPointer { bytes in
            if comparison != nil { return comparison!.process(bytes, clock: clock, task: message.partition) }
            single.currentTask = message.partition
            return single.process(bytes, clock: clock)
        }
    }
}
