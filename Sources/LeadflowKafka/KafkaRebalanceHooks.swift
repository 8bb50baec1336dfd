/// What a consumer's owner is told when the group moves partitions, before it happens.
///
/// Both hooks run on the thread that polls, inside the poll, so the group waits for them:
/// load or flush per-partition state there, and use the consumer's blocking (`noasync`)
/// calls such as `commitBlocking`, not the async ones, which would wait behind the poll itself.
public struct KafkaRebalanceHooks: Sendable {
    /// Partitions about to be assigned to this member. Return a start offset for any partition
    /// that should not resume from the group's committed offset (for example the offset stored
    /// in a snapshot); omitted partitions resume from the committed offset.
    public var onAssign: @Sendable (_ consumer: KafkaConsumer, _ partitions: [KafkaPartition]) -> [KafkaPartition: Int64]
    /// Partitions about to be taken from this member. `lost` is true when the group already
    /// gave them to someone else (for example after a session timeout): commits will fail then.
    public var onRevoke: @Sendable (_ consumer: KafkaConsumer, _ partitions: [KafkaPartition], _ lost: Bool) -> Void

    public init(
        onAssign: @escaping @Sendable (KafkaConsumer, [KafkaPartition]) -> [KafkaPartition: Int64] = { _, _ in [:] },
        onRevoke: @escaping @Sendable (KafkaConsumer, [KafkaPartition], Bool) -> Void = { _, _, _ in }
    ) {
        self.onAssign = onAssign
        self.onRevoke = onRevoke
    }
}
