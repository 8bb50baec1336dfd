import Foundation
import LeadflowDaemon
import Logging
import Synchronization

/// Replay progress: a bar with rate and ETA redrawn in place when standard error is a terminal,
/// a log line every five seconds otherwise (a pipe or a log collector gets no control codes).
final class ProgressBar: Sendable {
    private let logger: Logger
    private let isTerminal = isatty(2) == 1
    private let state = Mutex<(lastLine: ContinuousClock.Instant?, drawn: Bool)>((nil, false))

    init(logger: Logger) { self.logger = logger }

    func show(_ progress: ReplayProgress) {
        let seconds = Double(progress.elapsed.components.seconds) + Double(progress.elapsed.components.attoseconds) / 1e18
        let rate = seconds > 0 ? Double(progress.processed) / seconds : 0
        let fraction = progress.total > 0 ? min(1, Double(progress.processed) / Double(progress.total)) : 1
        let remaining = rate > 0 ? Double(max(0, progress.total - progress.processed)) / rate : 0
        let figures = String(format: "%lld/%lld records, %.0f/s, ETA %@", progress.processed, progress.total, rate, Self.duration(remaining))
        if isTerminal {
            let width = 30
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            FileHandle.standardError.write(Data(String(format: "\r%@ %3.0f%% %@\u{1B}[K", bar, fraction * 100, figures).utf8))
            state.withLock { $0.drawn = true }
        } else {
            let due = state.withLock { state -> Bool in
                if let last = state.lastLine, ContinuousClock.now - last < .seconds(5) { return false }
                state.lastLine = .now
                return true
            }
            if due { logger.info("replay progress", metadata: ["done": "\(Int(fraction * 100))%", "progress": "\(figures)"]) }
        }
    }

    /// Ends the bar's line so later output starts on a fresh one.
    func finish() {
        if state.withLock({ $0.drawn }) { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    private static func duration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        return total >= 3_600 ? "\(total / 3_600)h\(total % 3_600 / 60)m" : total >= 60 ? "\(total / 60)m\(total % 60)s" : "\(total)s"
    }
}
