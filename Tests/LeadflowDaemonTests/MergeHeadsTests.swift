@testable import LeadflowDaemon
import Testing

@Suite("Merge heads: the smallest merge key first, as a scan of every head would choose")
struct MergeHeadsTests {
    /// A deterministic generator, so a failure repeats.
    struct SplitMix {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int((z ^ (z >> 31)) % UInt64(bound))
        }
    }

    @Test("a random merge of partitions with clustered timestamps pops in the order of a linear scan", arguments: [1, 2, 3, 77])
    func matchesLinearScan(seed: Int) {
        var random = SplitMix(state: UInt64(seed))
        // Per partition (task, topic): its records' timestamps, non-decreasing, often equal
        // across partitions so the topic, partition and offset break the ties.
        var partitions: [(task: Int32, topic: Int, stamps: [Int64])] = []
        for task in 0..<Int32(1 + random.next(20)) {
            for topic in -1..<3 {
                var stamp = Int64(random.next(5))
                partitions.append((task, topic, (0..<random.next(30)).map { _ in
                    stamp += Int64(random.next(3))
                    return stamp
                }))
            }
        }
        func key(_ partition: Int, _ index: Int) -> MergeHeads.Key {
            (partitions[partition].stamps[index], partitions[partition].topic, partitions[partition].task, Int64(index))
        }
        var position = Array(repeating: 0, count: partitions.count)
        var heads = MergeHeads()
        var expected = position
        var scanOrder: [MergeHeads.Key] = []
        while true {
            var best: (Int, MergeHeads.Key)?
            for partition in partitions.indices where expected[partition] < partitions[partition].stamps.count {
                let candidate = key(partition, expected[partition])
                if best == nil || candidate < best!.1 { best = (partition, candidate) }
            }
            guard let (partition, chosen) = best else { break }
            scanOrder.append(chosen)
            expected[partition] += 1
        }
        var index: [String: Int] = [:]
        for (number, partition) in partitions.enumerated() where !partition.stamps.isEmpty {
            index["\(partition.task)/\(partition.topic)"] = number
            heads.insert(MergeHeads.Head(key: key(number, 0), task: partition.task, topic: partition.topic))
        }
        var heapOrder: [MergeHeads.Key] = []
        while let head = heads.first {
            heapOrder.append(head.key)
            let number = index["\(head.task)/\(head.topic)"]!
            position[number] += 1
            if position[number] < partitions[number].stamps.count {
                heads.replaceFirstKey(key(number, position[number]))
            } else {
                heads.removeFirst()
            }
        }
        #expect(heapOrder.count == partitions.reduce(0) { $0 + $1.stamps.count })
        #expect(heapOrder.elementsEqual(scanOrder) { $0 == $1 })
        #expect(heads.isEmpty)
    }
}
