import ArgumentParser
import Foundation

/// The reference consumer's own process (see `ReferenceConsumer`): the benchmarks start it, it
/// prints one JSON line with what it measured. Hidden from help: it is no tool for people.
struct ReferenceConsumerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reference-consumer",
        abstract: "The benchmarks' plain librdkafka consumer loop, run in a process of its own.",
        shouldDisplay: false
    )

    @Option(help: "Bootstrap servers, host:port[,host:port…].")
    var bootstrap: String

    @Option(help: "Consumer group to join.")
    var group: String

    @Option(help: "Topic name, or a ^regex of names.")
    var topic: String

    @Option(help: "Messages to read before stopping.")
    var expected: Int

    @Option(help: "A librdkafka property as name=value (repeatable).")
    var property: [String] = []

    @Option(help: "Seconds to wait for the expected messages.")
    var timeoutSeconds: Int = 300

    func validate() throws {
        guard expected > 0 else { throw ValidationError("--expected must be positive") }
        guard timeoutSeconds > 0 else { throw ValidationError("--timeout-seconds must be positive") }
        for entry in property where !entry.contains("=") {
            throw ValidationError("--property \(entry): expected name=value")
        }
    }

    func run() async throws {
        let properties = property.map { entry -> (String, String) in
            let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (String(parts[0]), String(parts[1]))
        }
        let measurement = try await ReferenceConsumer.measure(
            bootstrap: bootstrap, group: group, topic: topic, expected: expected, properties: properties,
            timeout: .seconds(timeoutSeconds))
        print(String(decoding: try JSONEncoder().encode(measurement), as: UTF8.self))
    }
}
