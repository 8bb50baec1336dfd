import CRdKafka

/// Conversions between Swift partition values and `rd_kafka_topic_partition_list_t`.
/// Lists made here are owned by the caller of `make` and freed with `rd_kafka_topic_partition_list_destroy`.
enum RDKafkaPartitionList {
    static func make(_ entries: [(KafkaPartition, Int64)]) -> UnsafeMutablePointer<rd_kafka_topic_partition_list_t> {
        let list = rd_kafka_topic_partition_list_new(Int32(max(entries.count, 1)))!
        for (partition, offset) in entries {
            let element = rd_kafka_topic_partition_list_add(list, partition.topic, partition.partition)!
            element.pointee.offset = offset
        }
        return list
    }

    static func make(_ partitions: [KafkaPartition]) -> UnsafeMutablePointer<rd_kafka_topic_partition_list_t> {
        make(partitions.map { ($0, KafkaOffset.invalid) })
    }

    struct Entry {
        var partition: KafkaPartition
        var offset: Int64
        var error: rd_kafka_resp_err_t
    }

    static func entries(_ list: UnsafePointer<rd_kafka_topic_partition_list_t>) -> [Entry] {
        (0..<Int(list.pointee.cnt)).map { index in
            let element = list.pointee.elems[index]
            return Entry(
                partition: KafkaPartition(topic: String(cString: element.topic), partition: element.partition),
                offset: element.offset, error: element.err)
        }
    }

    static func partitions(_ list: UnsafePointer<rd_kafka_topic_partition_list_t>) -> [KafkaPartition] {
        entries(list).map(\.partition)
    }

    /// The first per-partition error in a list, as a Swift error naming the partition.
    static func firstError(_ list: UnsafePointer<rd_kafka_topic_partition_list_t>, _ context: String) -> KafkaError? {
        entries(list).first { $0.error != RD_KAFKA_RESP_ERR_NO_ERROR }.map {
            KafkaError.rdKafka($0.error, "\(context) for \($0.partition)")
        }
    }
}
