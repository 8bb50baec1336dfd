import LeadflowKafka

/// The live daemon's merge order over a fixed range of input partitions: the smallest
/// (record timestamp, topic index, partition, offset) first, and only while every partition
/// still to be read has something buffered, so the order does not depend on fetch timing.
struct ReplayMerge {
    /// Merge index per topic: the input topics in order, the account-reference topic at -1.
    let topicIndex: [String: Int]
    private let ends: [KafkaPartition: Int64]
    private let endTime: Int64?
    private var queues: [KafkaPartition: InputQueue] = [:]
    /// Next offset to buffer per partition still being read.
    private var reading: [KafkaPartition: Int64] = [:]
    /// Partitions cut short by the end time, at the first record past it.
    private var cuts: [KafkaPartition: Int64] = [:]
    /// Partitions still being read with nothing buffered: the merge waits while there are any.
    private var starved: Set<KafkaPartition>
    /// The first buffered record of every partition with one (see `MergeHeads`), its partition
    /// number as the head's task; `topicNames` turns the head's topic index back into a name.
    private var heads = MergeHeads()
    private let topicNames: [Int: String]
    private(set) var processed: Int64 = 0
    let total: Int64

    init(topicIndex: [String: Int], starts: [KafkaPartition: Int64], ends: [KafkaPartition: Int64], endTime: Int64?) {
        self.topicIndex = topicIndex
        self.ends = ends
        self.endTime = endTime
        topicNames = Dictionary(uniqueKeysWithValues: topicIndex.map { ($0.value, $0.key) })
        var total: Int64 = 0
        for (partition, end) in ends {
            let start = starts[partition] ?? end
            if start < end { reading[partition] = start }
            total += max(0, end - start)
        }
        self.total = total
        starved = Set(reading.keys)
    }

    /// Where reading begins for the partitions with records in range.
    var unfinishedStarts: [KafkaPartition: Int64] { reading }

    var isFinished: Bool { reading.isEmpty && queues.values.allSatisfy(\.isEmpty) }

    /// Partitions the merge is waiting for.
    var waitingOn: [KafkaPartition] {
        reading.keys.filter { queues[$0]?.isEmpty ?? true }.sorted { ($0.topic, $0.partition) < ($1.topic, $1.partition) }
    }

    /// Per partition, the offset the replay's state reflects everything before: a snapshot resumes there.
    var nextOffsets: [KafkaPartition: Int64] {
        var offsets = ends
        for (partition, cut) in cuts { offsets[partition] = cut }
        return offsets
    }

    mutating func accept(_ batch: [KafkaMessage]) {
        for message in batch {
            let partition = message.topicPartition
            guard let next = reading[partition], message.offset >= next else { continue }
            if let endTime, let stamp = message.timestamp?.milliseconds, stamp > endTime {
                cuts[partition] = message.offset
                reading[partition] = nil
                starved.remove(partition)
                continue
            }
            if queues[partition]?.isEmpty ?? true {
                let topic = topicIndex[partition.topic] ?? 0
                heads.insert(MergeHeads.Head(key: Daemon.mergeKey(message, topic), task: partition.partition, topic: topic))
                starved.remove(partition)
            }
            queues[partition, default: InputQueue()].append(message)
            if message.offset + 1 >= ends[partition]! { reading[partition] = nil } else { reading[partition] = message.offset + 1 }
        }
    }

    /// The next record in merge order, or nil while a partition still being read has nothing buffered.
    mutating func next() -> KafkaMessage? {
        guard starved.isEmpty, let head = heads.first else { return nil }
        let partition = KafkaPartition(topic: topicNames[head.topic]!, partition: head.task)
        guard let message = queues[partition]?.popFirst() else { return nil }
        if let following = queues[partition]?.first {
            heads.replaceFirstKey(Daemon.mergeKey(following, head.topic))
        } else {
            heads.removeFirst()
            if reading[partition] != nil { starved.insert(partition) }
        }
        processed += 1
        return message
    }
}
