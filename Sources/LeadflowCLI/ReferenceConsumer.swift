import CKafkaShims
import Foundation
import LeadflowKafka

/// The benchmarks' ceiling: the minimal librdkafka consumer loop in C (`lf_reference_consume`),
/// with the same consumer settings Leadflow uses, run in a child process with glibc's default
/// allocator settings.
///
/// A child, because Leadflow re-executes itself with allocator tunables chosen for the daemon
/// (see `HugePages`), and the reference is meant to be a plain consumer: in-process, with the
/// tunables of an earlier version, it ran at half its usual rate, which flattered every ratio.
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

    /// What one run of the loop measured.
    struct Measurement: Codable {
        var messages: Int64
        var bytes: Int64
        /// From the first message received to the last.
        var seconds: Double
        var rate: Double { Double(messages) / max(seconds, 1e-9) }
    }

    /// Messages per second, from the first message received to the last, over `topic` (a name,
    /// or a `^regex` of names), measured by `leadflow bench reference-consumer` in a child
    /// process. Throws when the child cannot start, the consumer fails or it times out.
    static func rate(bootstrap: String, group: String, topic: String, expected: Int, properties: [(String, String)]) async throws -> Double {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executablePath())
        process.arguments =
            ["bench", "reference-consumer", "--bootstrap", bootstrap, "--group", group, "--topic", topic, "--expected", String(expected)]
            + properties.flatMap { ["--property", "\($0.0)=\($0.1)"] }
        process.environment = plainEnvironment(ProcessInfo.processInfo.environment)
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        do { try process.run() } catch {
            throw KafkaError(code: .librdkafka, message: "reference consumer: could not start \(executablePath()): \(error)")
        }
        // Reading to the end and waiting block: on a thread of their own, not the cooperative pool.
        let (stdout, stderr, status) = await withCheckedContinuation { (continuation: CheckedContinuation<(Data, Data, Int32), Never>) in
            Thread.detachNewThread {
                let stderrReader = DispatchGroup()
                nonisolated(unsafe) var stderrData = Data()
                DispatchQueue.global().async(group: stderrReader) { stderrData = errors.fileHandleForReading.readDataToEndOfFile() }
                let stdoutData = output.fileHandleForReading.readDataToEndOfFile()
                stderrReader.wait()
                process.waitUntilExit()
                continuation.resume(returning: (stdoutData, stderrData, process.terminationStatus))
            }
        }
        let lastLine = String(decoding: stdout, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
        guard status == 0, let measurement = try? JSONDecoder().decode(Measurement.self, from: Data(lastLine.utf8)) else {
            let reason = String(decoding: stderr, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw KafkaError(
                code: .librdkafka,
                message: "reference consumer exited with status \(status)" + (reason.isEmpty ? "" : ": \(reason)"))
        }
        return measurement.rate
    }

    /// Runs the loop in this process, on a thread of its own (the loop blocks in librdkafka).
    static func measure(
        bootstrap: String, group: String, topic: String, expected: Int, properties: [(String, String)], timeout: Duration
    ) async throws -> Measurement {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<lf_reference_result, Never>) in
            Thread.detachNewThread {
                var result = lf_reference_result()
                let keys = properties.map { strdup($0.0) }
                let values = properties.map { strdup($0.1) }
                defer { (keys + values).forEach { free($0) } }
                lf_reference_consume(
                    bootstrap, group, topic, keys.map { UnsafePointer($0) }, values.map { UnsafePointer($0) }, Int32(properties.count),
                    Int64(expected), Int32(clamping: timeout.components.seconds * 1_000), &result)
                continuation.resume(returning: result)
            }
        }
        var copy = result
        let error = withUnsafeBytes(of: &copy.error) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        guard error.isEmpty else { throw KafkaError(code: .librdkafka, message: "reference consumer: \(error)") }
        return Measurement(messages: result.messages, bytes: result.bytes, seconds: result.seconds)
    }

    /// This environment without allocator tunables (Leadflow's or anyone's), and without the
    /// re-execution that would add Leadflow's again.
    static func plainEnvironment(_ environment: [String: String]) -> [String: String] {
        var plain = environment
        plain["LEADFLOW_HUGE_PAGES"] = "off"
        let kept = (environment["GLIBC_TUNABLES"] ?? "").split(separator: ":").filter { !$0.hasPrefix("glibc.malloc.") }
        plain["GLIBC_TUNABLES"] = kept.isEmpty ? nil : kept.joined(separator: ":")
        return plain
    }

    private static func executablePath() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}
