import CPrefetch
import LeadflowKafka

/// One partition's buffered input, oldest first. Taking from the front only moves an index;
/// the consumed prefix is dropped once it is long, so a pop costs O(1) amortised. Messages move
/// in and out rather than being copied: a copy retains and later releases each of a message's
/// four buffers, which per record cost the daemon's loop a few percent.
///
/// The merge reads the next message's key after every pop, and picks among up to 192 queues,
/// so reading a message's fields missed the cache, one miss after another: a pop was 5% of the
/// daemon's loop in `bench e2e`, most of it spent reaching into the message's buffers for their
/// sizes. So what the merge and the byte count need sits in a dense array of its own, filled
/// while the message is in cache, and a pop asks for the next message to be fetched, ready for
/// when the merge comes back to this queue.
struct InputQueue: Sendable {
    private struct Entry {
        /// The parts of the message's merge key that vary (see `Daemon.mergeKey`).
        var timestamp: Int64
        var offset: Int64
        var footprint: Int
    }

    private var messages: [KafkaMessage] = []
    private var entries: [Entry] = []
    private var head = 0
    /// `entries.count`, kept here so checking for input reads no array header.
    private var stored = 0
    /// Memory the buffered messages hold, roughly: payloads plus a per-record allowance for
    /// the message itself and its allocations (see `InputBackPressure`).
    private(set) var bytes = 0

    static func footprint(_ message: KafkaMessage) -> Int { message.value.count + (message.key?.count ?? 0) + 160 }

    var isEmpty: Bool { head >= stored }
    var count: Int { stored - head }
    /// The next message to take.
    var first: KafkaMessage? { isEmpty ? nil : messages[head] }
    /// When the next message was fetched, read without copying it.
    var firstReceivedAt: MonotonicInstant? { isEmpty ? nil : messages[head].receivedAt }
    /// The next message's merge key, read without touching the message.
    func firstMergeKey(topic: Int, partition: Int32) -> (Int64, Int, Int32, Int64)? {
        isEmpty ? nil : (entries[head].timestamp, topic, partition, entries[head].offset)
    }
    /// The newest message buffered (taken or not), to skip records fetched twice.
    var lastOffset: Int64? { entries.last?.offset }

    mutating func append(_ message: consuming KafkaMessage) {
        let footprint = Self.footprint(message)
        bytes += footprint
        entries.append(Entry(timestamp: Daemon.mergeTimestamp(message), offset: message.offset, footprint: footprint))
        messages.append(message)
        stored += 1
    }

    mutating func popFirst() -> KafkaMessage? {
        guard !isEmpty else { return nil }
        var message = KafkaMessage.vacant
        swap(&message, &messages[head])
        bytes -= entries[head].footprint
        head += 1
        if head > 4_096 {
            messages.removeFirst(head)
            entries.removeFirst(head)
            stored -= head
            head = 0
        }
        if head < stored {
            messages.withUnsafeBufferPointer { buffer in
                let next = UnsafeRawPointer(buffer.baseAddress! + head)
                leadflow_prefetch(next)
                leadflow_prefetch(next + MemoryLayout<KafkaMessage>.stride - 1)
            }
        }
        return message
    }
}

extension KafkaMessage {
    /// A placeholder that owns no buffers, left behind where a message was moved out.
    static let vacant = KafkaMessage(topic: "", partition: -1, offset: -1, key: nil, value: [])
}
