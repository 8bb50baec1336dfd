import CRdKafka
import Dispatch
import Foundation
import Synchronization

/// A dedicated thread that serves a producer handle's events (delivery reports, errors, logs)
/// with `rd_kafka_poll`, so no thread of the cooperative pool ever waits inside librdkafka.
final class PollThread: Sendable {
    private let stopRequested = Mutex(false)
    private let finished = DispatchSemaphore(value: 0)

    init(handle: OpaquePointer) {
        let handle = UncheckedBox(handle)
        Thread.detachNewThread { [self] in
            while !stopRequested.withLock({ $0 }) { rd_kafka_poll(handle.value, 50) }
            finished.signal()
        }
    }

    /// Asks the loop to stop and waits for its current poll (at most 50 ms) to return.
    func stop() {
        let first = stopRequested.withLock { stopped in
            defer { stopped = true }
            return !stopped
        }
        if first { finished.wait() }
    }
}
