import LeadflowKafka

/// The live daemon's merge order over a fixed range of input partitions: the smallest
/// (record timestamp, topic index, partition, offset) first, and only while every partition
/// still to be read has something buffered, so the order does not depend on fetch timing.
struct ReplayMerge {
    /// Merge index per topic: the input topics in order, the account-reference topic at -1.
    let topicIndex: [String: Int]
    private let ends: [KafkaPartition: Int64]
    private let starts: [KafkaPartition: Int64]
    private let endTime: Int64?
    private var buffers: [KafkaPartition: [KafkaMessage]] = [:]
    private var heads: [KafkaPartition: Int] = [:]
    /// Next offset to buffer per partition still being read.
    private var reading: [KafkaPartition: Int64] = [:]
    /// Partitions cut short by the end time, at the first record past it.
    private var cuts: [KafkaPartition: Int64] = [:]
    private(set) var processed: Int64 = 0
    let total: Int64

    init(topicIndex: [String: Int], starts: [KafkaPartition: Int64], ends: [KafkaPartition: Int64], endTime: Int64?) {
        self.topicIndex = topicIndex
        self.starts = starts
        self.ends = ends
        self.endTime = endTime
        var total: Int64 = 0
        for (partition, end) in ends {
            let start = starts[partition] ?? end
            if start < end { reading[partition] = start }
            total += max(0, end - start)
        }
        self.total = total
    }

    /// Where reading begins for the partitions with records in range.
    var unfinishedStarts: [KafkaPartition: Int64] { reading }

    var isFinished: Bool { reading.isEmpty && buffers.allSatisfy { heads[$0.key, default: 0] >= $0.value.count } }

    /// Partitions the merge is waiting for.
    var waitingOn: [KafkaPartition] {
        reading.keys.filter { heads[$0, default: 0] >= buffers[$0, default: []].count }.sorted { ($0.topic, $0.partition) < ($1.topic, $1.partition) }
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
                continue
            }
            buffers[partition, default: []].append(message)
            if message.offset + 1 >= ends[partition]! { reading[partition] = nil } else { reading[partition] = message.offset + 1 }
        }
    }

    /// The next record in merge order, or nil while a partition still being read has nothing buffered.
    mutating func next() -> KafkaMessage? {
        var best: (partition: KafkaPartition, key: (Int64, Int, Int32, Int64))?
        for (partition, buffer) in buffers {
            let head = heads[partition, default: 0]
            guard head < buffer.count else {
                if reading[partition] != nil { return nil }
                continue
            }
            let key = Daemon.mergeKey(buffer[head], topicIndex[partition.topic] ?? 0)
            if best == nil || key < best!.key { best = (partition, key) }
        }
        if reading.keys.contains(where: { buffers[$0] == nil }) { return nil }
        guard let chosen = best?.partition else { return nil }
        let head = heads[chosen, default: 0]
        let message = buffers[chosen]![head]
        if head + 1 >= 4_096 {
            buffers[chosen]!.removeFirst(head + 1)
            heads[chosen] = 0
        } else {
            heads[chosen] = head + 1
        }
        processed += 1
        return message
    }
}
