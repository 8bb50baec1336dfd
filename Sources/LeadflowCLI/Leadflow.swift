import ArgumentParser

@main
struct Leadflow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "leadflow",
        abstract: "Live, explainable account scoring and routing for B2B revenue teams, on Kafka.",
        subcommands: [RunCommand.self, ReplayCommand.self, DemoCommand.self, ProcessCommand.self, CheckConfigCommand.self, SnapshotCommand.self, DevBrokerCommand.self, BenchCommand.self]
    )

    static func main() async {
        HugePages.enableByReexecuting()
        await main(nil)
    }
}
