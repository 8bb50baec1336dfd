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
///
/// The bound is checked after each poll, so it is overshot: by the poll that crosses it, and,
/// since the partitions holding none keep fetching, by whatever each of those brings before it
/// too is paused. Over the bound polls are therefore kept small (`pollSize`): the overshoot is
/// then at most one full poll plus one small poll per partition, whatever the fetch timing.
/// (With full polls throughout, one test run saw three polls' worth where two were expected:
/// partitions that held nothing at one check brought a full poll each by the next.)
struct InputBackPressure {
    /// Records a poll takes at most, within the bound and over it.
    static let fullPoll = 5_000
    static let smallPoll = 250

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

    /// Records the next poll may take, given the bytes buffered after the last one.
    func pollSize(buffered: Int) -> Int { buffered > limit ? Self.smallPoll : Self.fullPoll }

    /// Whether the loop needs the set of partitions holding input this time round.
    func needsHolding(buffered: Int) -> Bool { buffered > limit || !paused.isEmpty }

    private static func order(_ a: KafkaPartition, _ b: KafkaPartition) -> Bool {
        (a.topic, a.partition) < (b.topic, b.partition)
    }
}
