import Dispatch
import Foundation

/// Runs a call that may hang on its own thread and waits at most `timeout` for it.
/// Returns false when it gave up; the thread is then left to finish (or not) on its own.
func runBounded(timeout: Duration, _ body: @escaping @Sendable () -> Void) -> Bool {
    let done = DispatchSemaphore(value: 0)
    Thread.detachNewThread {
        body()
        done.signal()
    }
    return done.wait(timeout: .now() + .milliseconds(Int(timeout.milliseconds))) == .success
}
