import Foundation
import LeadflowEngine
import LeadflowKafka
import LeadflowConfig
import Logging
import Synchronization

/// A task's state copied for a periodic snapshot, held until every output of the inputs before
/// its offsets is acknowledged.
///
/// A snapshot resumes after its offsets, so it may reach the disk only once the outputs those
/// inputs caused are on the broker: written earlier, a crash would lose the ones still in flight.
/// Waiting for them by flushing the producer would stall the processing loop for a broker round
/// trip or more, and asking the broker for the output topics' ends for a few hundred partitions,
/// which the readback after a restart needs, would stall it longer. So the copy is taken at once
/// and sealed with the output ends known at that moment (`DaemonCore.outputEnds`: every output
/// sent later lands at or after them), and the loop hands it to the writer when its inputs'
/// outputs are acknowledged.
struct SealedSnapshot {
    var task: Int32
    var state: EngineState
    var runtime: TaskRuntime
    var outputEnds: [KafkaPartition: Int64]
    var sealedAt: ContinuousClock.Instant
}

extension Daemon {
    /// Seals the tasks due for a periodic snapshot (by event count or age) and queues for
    /// writing those whose outputs are all acknowledged. Never waits on the broker or the disk.
    func snapshotDueTasks() {
        let settings = options.configuration.snapshots
        let maximumAge = Duration.milliseconds(Int(settings.everySeconds * 1_000))
        let patience = Duration.seconds(options.configuration.shutdownTimeoutSeconds)
        let busy = snapshotsQueued.withLock { $0 }
        let now = ContinuousClock.now
        let (ready, abandoned, sealedTasks) = core.withLock { core -> ([SealedSnapshot], [Int32], [Int32]) in
            let due = core.tasks.filter { task, runtime in
                !busy.contains(task)
                    && (runtime.eventsSinceSnapshot >= settings.everyEvents
                        || (runtime.eventsSinceSnapshot > 0 && now - runtime.lastSnapshot >= maximumAge))
            }.keys.sorted()
            if due.isEmpty && core.sealed.isEmpty { return ([], [], []) }
            applyDeliveries(to: &core)
            for task in due {
                guard var runtime = core.tasks[task] else { continue }
                let state = core.engine.state.copy(task: task)
                core.sealed.append(SealedSnapshot(task: task, state: state, runtime: runtime, outputEnds: core.outputEnds, sealedAt: now))
                runtime.eventsSinceSnapshot = 0
                runtime.lastSnapshot = now
                runtime.sequence += 1
                core.tasks[task] = runtime
            }
            var ready: [SealedSnapshot] = []
            var abandoned: [Int32] = []
            var waiting: [SealedSnapshot] = []
            for sealed in core.sealed {
                if core.acknowledged(task: sealed.task, before: sealed.runtime.next) {
                    ready.append(sealed)
                } else if now - sealed.sealedAt >= patience {
                    abandoned.append(sealed.task)
                } else {
                    waiting.append(sealed)
                }
            }
            core.sealed = waiting
            return (ready, abandoned, due)
        }
        if !sealedTasks.isEmpty || !abandoned.isEmpty {
            snapshotsQueued.withLock { queued in
                queued.formUnion(sealedTasks)
                queued.subtract(abandoned)
            }
        }
        for task in abandoned {
            logger.warning(
                "outputs still unacknowledged; periodic snapshot skipped, the previous one stays in place",
                metadata: ["task": "\(task)", "waited_s": "\(options.configuration.shutdownTimeoutSeconds)"])
        }
        for sealed in ready {
            let box = UncheckedSendable(sealed)
            snapshotWriter.async { [self] in
                let sealed = box.value
                writeSnapshot(task: sealed.task, state: sealed.state, runtime: sealed.runtime, watermarks: outputWatermarks(sealed.outputEnds))
                snapshotsQueued.withLock { _ = $0.remove(sealed.task) }
            }
        }
    }

    /// Output ends in a snapshot header's form ("topic/partition"), output topics only (dead
    /// letters are never read back).
    func outputWatermarks(_ ends: [KafkaPartition: Int64]) -> [String: Int64] {
        var result: [String: Int64] = [:]
        for (partition, end) in ends where outputs.contains(partition.topic) {
            result["\(partition.topic)/\(partition.partition)"] = end
        }
        return result
    }
}
