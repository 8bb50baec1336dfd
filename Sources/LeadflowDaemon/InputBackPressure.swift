import LeadflowKafka

/// Keeps input that is fetched but not yet applied within a memory bound.
///
/// The merge applies input only while every owned partition has some buffered or is known to
/// be read to its end (see `Daemon.drain`). While one partition cannot be read (its leader is
/// down, say), the merge waits, and everything fetched from the other partitions would pile
/// up in memory. Past `limit` bytes, the partitions that already hold buffered input are paused
/// (librdkafka stops fetching them; nothing is lost, fetching resumes where it stopped); the
/// ones holding none are never paused, because the merge may be waiting on exactly those.
/// A paused partition is resumed once its buffer runs dry or the total falls to half the limit.
struct InputBackPressure {
    /// Bytes of buffered input (payloads plus a per-record allowance) that trigger pausing.
    let limit: Int
    /// Partitions this bound paused and has not resumed yet.
    private(set) var paused: Set<KafkaPartition> = []

    init(limit: Int) { self.limit = limit }

    /// What to pause and resume now, given the bytes buffered and the partitions holding
    /// buffered input. Both lists are sorted, so calls to the consumer repeat exactly.
    mutating func adjust(buffered: Int, holding: Set<KafkaPartition>) -> (pause: [KafkaPartition], resume: [KafkaPartition]) {
        let resume = buffered <= limit / 2 ? paused : paused.filter { !holding.contains($0) }
        paused.subtract(resume)
        var pause: Set<KafkaPartition> = []
        if buffered > limit {
            pause = holding.subtracting(paused)
            paused.formUnion(pause)
        }
        return (pause.sorted(by: Self.order), resume.sorted(by: Self.order))
    }

    /// Whether the loop needs the set of partitions holding input this time round.
    func needsHolding(buffered: Int) -> Bool { buffered > limit || !paused.isEmpty }

    private static func order(_ a: KafkaPartition, _ b: KafkaPartition) -> Bool {
        (a.topic, a.partition) < (b.topic, b.partition)
    }
}
