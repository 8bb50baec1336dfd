@testable import LeadflowDaemon
import LeadflowKafka
import Testing

@Suite("Merge: when an idle partition counts as caught up")
struct CaughtUpTests {
    @Test("the later of the end reached and the fetched watermark decides; nothing known is unknown")
    func laterEndDecides() {
        let marks = KafkaWatermarks(low: 0, high: 10)
        #expect(Daemon.isCaughtUp(next: 10, endReached: nil, marks: marks) == true)
        #expect(Daemon.isCaughtUp(next: 9, endReached: nil, marks: marks) == false)
        // A newer end reached overrides older watermarks, and the other way round.
        #expect(Daemon.isCaughtUp(next: 10, endReached: 12, marks: marks) == false)
        #expect(Daemon.isCaughtUp(next: 12, endReached: 12, marks: marks) == true)
        #expect(Daemon.isCaughtUp(next: 8, endReached: 8, marks: marks) == false, "a stale end must not hide records up to the watermark")
        // Nothing processed yet: caught up only when the partition holds nothing to read.
        #expect(Daemon.isCaughtUp(next: KafkaOffset.beginning, endReached: nil, marks: KafkaWatermarks(low: 5, high: 5)) == true)
        #expect(Daemon.isCaughtUp(next: KafkaOffset.beginning, endReached: nil, marks: marks) == false)
        #expect(Daemon.isCaughtUp(next: KafkaOffset.beginning, endReached: 0, marks: nil) == true)
        #expect(Daemon.isCaughtUp(next: 3, endReached: nil, marks: nil) == nil)
    }

    @Test("lag counts from the next offset to apply to the later known end; unknown when no end is known")
    func processingLag() {
        let marks = KafkaWatermarks(low: 4, high: 10)
        #expect(Daemon.processingLag(next: 7, endReached: nil, marks: marks) == 3)
        #expect(Daemon.processingLag(next: 7, endReached: 12, marks: marks) == 5, "an end reached past the watermark counts")
        #expect(Daemon.processingLag(next: 10, endReached: nil, marks: marks) == 0)
        #expect(Daemon.processingLag(next: 11, endReached: nil, marks: marks) == 0, "never negative")
        // Nothing applied yet: everything retained is still to do.
        #expect(Daemon.processingLag(next: KafkaOffset.beginning, endReached: nil, marks: marks) == 6)
        #expect(Daemon.processingLag(next: KafkaOffset.beginning, endReached: 3, marks: nil) == 3)
        #expect(Daemon.processingLag(next: 2, endReached: nil, marks: nil) == nil)
    }
}
