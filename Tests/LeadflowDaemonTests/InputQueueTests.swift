@testable import LeadflowDaemon
import LeadflowKafka
import Testing

@Suite("Input queue: one partition's buffered input, in order, with its merge keys and size")
struct InputQueueTests {
    static func message(offset: Int64, timestamp: Int64?, size: Int) -> KafkaMessage {
        KafkaMessage(
            topic: "page-views", partition: 3, offset: offset, key: Array("k\(offset)".utf8), value: Array(repeating: 0x61, count: size),
            timestamp: timestamp.map { KafkaTimestamp(milliseconds: $0, kind: .createTime) })
    }

    @Test("pops return messages in order, with the merge key of the next one, through compactions")
    func ordersKeysAndBytes() {
        var queue = InputQueue()
        var expectedBytes = 0
        var popped: Int64 = 0
        // More than one compaction's worth (the taken prefix is dropped past 4,096), with pops
        // interleaved so the queue is never simply filled then emptied.
        for offset in Int64(0)..<10_000 {
            let message = Self.message(offset: offset, timestamp: offset % 7 == 0 ? nil : 1_000 + offset, size: Int(offset % 50))
            expectedBytes += InputQueue.footprint(message)
            queue.append(message)
            #expect(queue.lastOffset == offset)
            if offset % 3 != 0, let first = queue.popFirst() {
                #expect(first.offset == popped)
                expectedBytes -= InputQueue.footprint(first)
                popped += 1
            }
            #expect(queue.bytes == expectedBytes)
            if let key = queue.firstMergeKey(topic: 2, partition: 3) {
                let head = Self.message(offset: popped, timestamp: popped % 7 == 0 ? nil : 1_000 + popped, size: 0)
                #expect(key == Daemon.mergeKey(head, 2))
            }
        }
        #expect(queue.count == Int(10_000 - popped))
        while let message = queue.popFirst() {
            #expect(message.offset == popped)
            popped += 1
        }
        #expect(popped == 10_000)
        #expect(queue.isEmpty && queue.bytes == 0 && queue.firstMergeKey(topic: 2, partition: 3) == nil)
    }
}
