import ArgumentParser

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks, reported as ratios against a reference measured in the same run.",
        subcommands: [KafkaBenchCommand.self, CoreBenchCommand.self, EndToEndBenchCommand.self, SnapshotBenchCommand.self, ReferenceConsumerCommand.self]
    )
}
