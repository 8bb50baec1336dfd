import Dispatch

/// A serial dispatch queue that runs a client's blocking librdkafka calls, so they never
/// occupy a thread of Swift's cooperative pool (swift-kafka-client #68, #221 show the starvation).
struct ClientQueue: Sendable {
    private let queue: DispatchQueue

    init(label: String) {
        queue = DispatchQueue(label: label)
    }

    /// Runs `body` on the queue and resumes the caller with its result.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result(catching: body)) }
        }
    }
}
