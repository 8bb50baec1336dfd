import LeadflowKafka

/// Keeps input that is fetched but not yet applied within a memory bound.
///
/// The merge applies input only while every owned partition has some buffered or is known to
/// be read to its end (see `Daemon.drain`). While one partition cannot be read (its leader is
/// down, say), the merge waits, and everything fetched from the other partitions would pile
/// up in memory. Past `limit` bytes, the partitions holding more than their fair share of it
/// (`limit` over the owned partitions) are paused: librdkafka stops fetching them; nothing is
/// lost, fetching resumes where it stopped. Partitions holding less keep fetching, above all
/// the ones holding none, because the merge may be waiting on exactly those. A paused
/// partition is resumed once it holds half its share or less, or the total falls to half the
/// limit.
///
/// Resuming before a partition runs dry matters: a dry partition that is not at its end stops
/// the merge for a whole fetch round trip. An earlier version paused every partition holding
/// input and resumed each only once dry; with a bound small against the partition count every
/// partition then ran dry in turn and the merge waited on each (bench e2e, 100,000 events over
/// 192 partitions with a 4 MiB bound: 1,829 events/s; now 99,284, against 123,983 with the
/// default bound).
///
/// The bound is checked after each poll, so it is overshot: by the poll that crosses it, and,
/// since partitions under their share keep fetching, by whatever each of those brings before
/// it too is over its share and paused. Over the bound polls are therefore kept small
/// (`pollSize`): the overshoot is then at most one full poll plus one small poll per
/// partition, whatever the fetch timing. (With full polls throughout, one test run saw three
/// polls' worth where two were expected: partitions that held nothing at one check brought a
/// full poll each by the next.)
struct InputBackPressure {
    /// Records a poll takes at most, within the bound and over it.
    static let fullPoll = 5_000
    static let smallPoll = 250

    /// Bytes of buffered input (payloads plus a per-record allowance) that trigger pausing.
    let limit: Int
    /// Partitions this bound paused and has not resumed yet.
    private(set) var paused: Set<KafkaPartition> = []

    init(limit: Int) { self.limit = limit }

    /// What to pause and resume now, given the bytes buffered, the bytes each partition holding
    /// input holds, and how many partitions are owned (the shares). Both lists are sorted, so
    /// calls to the consumer repeat exactly.
    mutating func adjust(buffered: Int, holding: [KafkaPartition: Int], owned: Int) -> (pause: [KafkaPartition], resume: [KafkaPartition]) {
        let share = limit / max(owned, 1)
        let resume = buffered <= limit / 2 ? paused : paused.filter { (holding[$0] ?? 0) <= share / 2 }
        paused.subtract(resume)
        var pause: [KafkaPartition] = []
        if buffered > limit {
            pause = holding.filter { $0.value > share && !paused.contains($0.key) }.map(\.key)
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
