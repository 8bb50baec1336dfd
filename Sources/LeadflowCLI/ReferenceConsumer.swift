import CKafkaShims
import Foundation
import LeadflowKafka

/// The benchmarks' ceiling: the minimal librdkafka consumer loop in C (`lf_reference_consume`),
/// run on its own thread with the same consumer settings Leadflow uses.
enum ReferenceConsumer {
    /// The librdkafka properties of `settings` that shape fetching, so both sides fetch alike.
    static func properties(matching settings: KafkaConsumerConfiguration) -> [(String, String)] {
        [
            ("queued.min.messages", String(settings.queuedMinMessages)),
            ("queued.max.messages.kbytes", String(settings.queuedMaxKilobytes)),
            ("partition.assignment.strategy", settings.partitionAssignmentStrategy),
            ("session.timeout.ms", String(settings.sessionTimeout.components.seconds * 1_000)),
        ]
    }

    /// Messages per second, from the first message received to the last, over `topic` (a name,
    /// or a `^regex` of names). Throws when the consumer fails or times out.
    static func rate(bootstrap: String, group: String, topic: String, expected: Int, properties: [(String, String)]) async throws -> Double {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<lf_reference_result, Never>) in
            Thread.detachNewThread {
                var result = lf_reference_result()
                let keys = properties.map { strdup($0.0) }
                let values = properties.map { strdup($0.1) }
                defer { (keys + values).forEach { free($0) } }
                lf_reference_consume(
                    bootstrap, group, topic, keys.map { UnsafePointer($0) }, values.map { UnsafePointer($0) }, Int32(properties.count),
                    Int64(expected), 300_000, &result)
                continuation.resume(returning: result)
            }
        }
        var copy = result
        let error = withUnsafeBytes(of: &copy.error) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        guard error.isEmpty else { throw KafkaError(code: .librdkafka, message: "reference consumer: \(error)") }
        return Double(result.messages) / max(result.seconds, 1e-9)
    }
}
