import LeadflowKafka

/// One partition's buffered input, oldest first. Taking from the front only moves an index;
/// the consumed prefix is dropped once it is long, so a pop costs O(1) amortised. Messages move
/// in and out rather than being copied: a copy retains and later releases each of a message's
/// four buffers, which per record cost the daemon's loop a few percent.
struct InputQueue: Sendable {
    private var messages: [KafkaMessage] = []
    private var head = 0
    /// Memory the buffered messages hold, roughly: payloads plus a per-record allowance for
    /// the message itself and its allocations (see `InputBackPressure`).
    private(set) var bytes = 0

    static func footprint(_ message: KafkaMessage) -> Int { message.value.count + (message.key?.count ?? 0) + 160 }

    var isEmpty: Bool { head >= messages.count }
    var count: Int { messages.count - head }
    /// The next message to take.
    var first: KafkaMessage? { isEmpty ? nil : messages[head] }
    /// The next message's merge key, read in place: copying the message out would retain and
    /// release its buffers once per record.
    func firstMergeKey(topic: Int) -> (Int64, Int, Int32, Int64)? {
        isEmpty ? nil : Daemon.mergeKey(messages[head], topic)
    }
    /// The newest message buffered (taken or not), to skip records fetched twice.
    var lastOffset: Int64? { messages.last?.offset }

    mutating func append(_ message: consuming KafkaMessage) {
        bytes += Self.footprint(message)
        messages.append(message)
    }

    mutating func popFirst() -> KafkaMessage? {
        guard !isEmpty else { return nil }
        var message = KafkaMessage.vacant
        swap(&message, &messages[head])
        bytes -= Self.footprint(message)
        head += 1
        if head > 4_096 {
            messages.removeFirst(head)
            head = 0
        }
        return message
    }
}

extension KafkaMessage {
    /// A placeholder that owns no buffers, left behind where a message was moved out.
    static let vacant = KafkaMessage(topic: "", partition: -1, offset: -1, key: nil, value: [])
}
