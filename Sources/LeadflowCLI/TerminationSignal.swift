import Dispatch
import Foundation

/// Waits for SIGINT or SIGTERM, whichever comes first. The default handlers are replaced
/// while waiting, so the process does not die before the caller has cleaned up.
enum TerminationSignal {
    static func wait() async -> Int32 {
        await withCheckedContinuation { continuation in
            let queue = DispatchQueue(label: "leadflow.signals")
            let fired = SignalOnce(continuation)
            for number in [SIGINT, SIGTERM] {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
                source.setEventHandler { fired.fire(number) }
                source.resume()
                fired.keep(source)
            }
        }
    }
}

/// Resumes the waiter once, and keeps the signal sources alive while it waits.
private final class SignalOnce: @unchecked Sendable {
    private var continuation: CheckedContinuation<Int32, Never>?
    private var sources: [any DispatchSourceSignal] = []
    private let lock = NSLock()

    init(_ continuation: CheckedContinuation<Int32, Never>) { self.continuation = continuation }

    func keep(_ source: any DispatchSourceSignal) { lock.withLock { sources.append(source) } }

    func fire(_ number: Int32) {
        let waiter = lock.withLock { () -> CheckedContinuation<Int32, Never>? in
            defer { continuation = nil }
            return continuation
        }
        waiter?.resume(returning: number)
    }
}
