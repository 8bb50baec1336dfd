/// The first buffered record of every partition being merged, smallest merge key on top.
///
/// The merge picks the smallest key among the heads of all owned partitions for every record it
/// applies. With 64 partitions of three topics a scan compares 192 keys per record, several
/// hundred nanoseconds; this binary min-heap needs about eight comparisons. Keys of different
/// heads never tie (each carries its topic and partition), so the order is the scan's exactly.
struct MergeHeads {
    /// Record timestamp, topic index (-1 for the reference topic), partition, offset.
    typealias Key = (Int64, Int, Int32, Int64)

    struct Head {
        var key: Key
        var task: Int32
        var topic: Int
    }

    private var heads: [Head] = []

    init(capacity: Int = 0) { heads.reserveCapacity(capacity) }

    var isEmpty: Bool { heads.isEmpty }
    var count: Int { heads.count }

    /// The head with the smallest key.
    var first: Head? { heads.first }

    mutating func insert(_ head: Head) {
        heads.append(head)
        var child = heads.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heads[child].key < heads[parent].key else { break }
            heads.swapAt(child, parent)
            child = parent
        }
    }

    /// Gives the first head a new key (its partition's next record) and restores the order.
    mutating func replaceFirstKey(_ key: Key) {
        heads[0].key = key
        siftDown(from: 0)
    }

    /// Removes the first head (its partition ran dry).
    @discardableResult
    mutating func removeFirst() -> Head {
        let first = heads[0]
        let last = heads.removeLast()
        if !heads.isEmpty {
            heads[0] = last
            siftDown(from: 0)
        }
        return first
    }

    private mutating func siftDown(from start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < heads.count else { return }
            let right = left + 1
            let smaller = right < heads.count && heads[right].key < heads[left].key ? right : left
            guard heads[smaller].key < heads[parent].key else { return }
            heads.swapAt(parent, smaller)
            parent = smaller
        }
    }
}
