import ArgumentParser
import Foundation
import LeadflowConfig
import LeadflowEngine

struct SnapshotBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot",
        abstract: "Snapshot pause, write and restore of one task's state, without Kafka.",
        discussion: """
            Fills an engine with --accounts accounts of the demo's model and reference data (--events-per-account \
            events each), then measures \
            the state copy the processing loop waits for (target ≤ 50 ms at 1,000,000 accounts), the atomic \
            write (encode, checksum, fsync, rename; target ≤ 2 s) and the restore (read, verify, decode; \
            target ≤ 2 s), and checks that the restored state equals the written one. The restore is timed \
            twice: in this process, and in a fresh one (`leadflow snapshot load`), as after a restart. \
            `bench e2e` runs the same phase.
            """
    )

    @Option(help: "Accounts in the snapshot.")
    var accounts: Int = 1_000_000

    @Option(help: """
        Events applied per account before the snapshot (1: one signal and one person each; more \
        gives accounts a history, as in production, and a larger snapshot).
        """)
    var eventsPerAccount: Int = 1

    @Option(help: """
        Folder to write in (for example on the disk the daemon's snapshots use): the benchmark makes \
        its own subfolder there and removes only that. Default: the temporary folder.
        """)
    var directory: String?

    @Flag(help: "Keep the snapshot file and print its path (for `leadflow snapshot inspect` or `snapshot load`).")
    var keep = false

    @Flag(help: "End with a single-line JSON object of all figures.")
    var json = false

    func validate() throws {
        guard accounts > 0 else { throw ValidationError("--accounts must be positive") }
        guard (1...100).contains(eventsPerAccount) else { throw ValidationError("--events-per-account must be from 1 to 100") }
    }

    func run() throws {
        let configuration = DemoScenario.configuration(bootstrap: ["unused:9092"])
        var traffic = SyntheticTraffic(seed: 99)
        let records = traffic.accounts(count: min(accounts, 20_000))
        // Never the given folder itself: removing it afterwards would take whatever else it holds.
        let parent = directory.map { URL(fileURLWithPath: $0) } ?? FileManager.default.temporaryDirectory
        let folder = parent.appendingPathComponent("leadflow-bench-snapshot-\(getpid())").path
        let result = try SnapshotBenchmark.run(
            model: CompiledModel(configuration.model), records: records, accounts: accounts, eventsPerAccount: eventsPerAccount,
            directory: folder, keep: keep) { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
        print(result.summary)
        if keep, let path = result.path { print("snapshot kept: \(path)") }
        print("peak RSS: \(ResidentMemory.peakBytes() / 1_048_576) MiB")
        if json {
            var figures = result.figures
            figures["benchmark"] = "snapshot"
            figures["peak_rss_mib"] = ResidentMemory.peakBytes() / 1_048_576
            let data = try JSONSerialization.data(withJSONObject: figures, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }
    }
}
