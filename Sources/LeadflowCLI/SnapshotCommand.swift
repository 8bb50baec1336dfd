import ArgumentParser
import Foundation
import LeadflowDaemon
import LeadflowEngine

struct SnapshotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot", abstract: "Work with state snapshots.", subcommands: [InspectSnapshotCommand.self, LoadSnapshotCommand.self])
}

struct InspectSnapshotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "Print a snapshot's header, counts and a sample account; fail on damage.")

    @Argument(help: "The snapshot file.")
    var path: String

    func run() throws {
        let bytes: [UInt8]
        // An unreadable file is a failure of the run, like a damaged one, not a usage error:
        // exit 1 with the reason, as `snapshot load` does, without the usage text.
        do { bytes = try SnapshotStore.read(path) } catch {
            print("\(path): not read: \(error)")
            throw ExitCode(1)
        }
        let snapshot: Snapshot
        do { snapshot = try Snapshot.decode(bytes) } catch {
            print("\(path): damaged: \(error)")
            throw ExitCode(1)
        }
        let header = snapshot.header
        print("\(path): \(bytes.count) bytes, format \(bytes[8..<12].reversed().reduce(0) { $0 << 8 | Int($1) }), checksum ok")
        print("task \(header.task), sequence \(header.sequence), written \(EventTime(milliseconds: header.writtenAtMilliseconds)), config version \(header.configVersion)")
        print("input offsets: " + header.inputOffsets.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", "))
        print("output watermarks: \(header.outputWatermarks.count) partitions")
        print("accounts \(header.accounts), held visitors \(header.heldVisitors), identified visitors \(header.identifiedVisitors)")
        if header.accounts > 0 {
            print(String(format: "%.0f bytes per account", Double(bytes.count) / Double(header.accounts)))
        }
        if let account = snapshot.state.accounts.values.min(by: { $0.accountID < $1.accountID }) {
            print("sample account \(account.accountID) (\(account.domain)): band \(account.band), \(account.eventCount) events, last at \(account.lastEventAt)")
            for tally in account.tallies.prefix(8) {
                print("  \(tally.signal): decayed count \(JSONWriter.format(points: tally.count.value)) at \(tally.count.referenceTime), last event \(tally.lastEventID)")
            }
        }
    }
}

/// Restores a snapshot as an assignment after a restart does, and says how long it took: a
/// check that a file will load, and the restore figure that holds for a fresh process (`bench
/// snapshot` and `bench e2e` run it in a child process for that reason).
struct LoadSnapshotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Restore a snapshot as a restart does (streamed read, checksum, decode, index) and print the time taken; fail on damage.")

    @Argument(help: "The snapshot file.")
    var path: String

    @Flag(help: "End with a single-line JSON object of the figures.")
    var json = false

    func run() throws {
        let start = ContinuousClock.now
        let snapshot: Snapshot
        do { snapshot = try SnapshotStore.load(path) } catch {
            print("\(path): not loaded: \(error)")
            throw ExitCode(1)
        }
        // Restoring ends when the state is in an engine and indexed, as after an assignment.
        var state = EngineState()
        state.merge(snapshot.state)
        let seconds = (ContinuousClock.now - start).seconds
        print("\(path): restored \(state.accounts.count) accounts in " + String(format: "%.2f s", seconds) + " (peak RSS \(ResidentMemory.peakBytes() / 1_048_576) MiB)")
        if json {
            let figures: [String: Any] = ["accounts": state.accounts.count, "restore_s": (seconds * 1_000).rounded() / 1_000]
            let data = try JSONSerialization.data(withJSONObject: figures, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }
    }
}
