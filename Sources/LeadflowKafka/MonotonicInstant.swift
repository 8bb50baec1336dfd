#if canImport(Glibc)
import Glibc
#endif

/// A reading of the system's monotonic clock in nanoseconds, kept as a plain integer.
///
/// Every consumed message carries one (when it was taken from librdkafka's queue). The
/// standard library's `ContinuousClock.Instant` is opaque outside its module, so a message
/// holding one was copied and destroyed through the runtime's generic witnesses: about an
/// eighth of the consumer's poll thread in `bench kafka`. With this, a message's fields other
/// than its buffers copy as plain bytes.
public struct MonotonicInstant: Sendable, Hashable, Comparable {
    public var nanoseconds: UInt64

    public init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }

    public static var now: MonotonicInstant {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return MonotonicInstant(nanoseconds: UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec))
    }

    /// Nanoseconds from this reading to `later` (zero if `later` is earlier).
    public func nanoseconds(until later: MonotonicInstant = .now) -> UInt64 {
        later.nanoseconds > nanoseconds ? later.nanoseconds - nanoseconds : 0
    }

    public static func < (lhs: MonotonicInstant, rhs: MonotonicInstant) -> Bool { lhs.nanoseconds < rhs.nanoseconds }
}
