import Foundation
import LeadflowDaemon
import LeadflowEngine

/// One snapshot of a filled engine: the state copy the processing loop waits for, the write
/// (encode, checksum, fsync, rename) and the restore (read, verify, decode), shared by
/// `bench snapshot` and `bench e2e`.
struct SnapshotBenchmark {
    var pauseSeconds: Double
    var writeSeconds: Double
    var restoreSeconds: Double
    /// The same restore in a fresh process (`leadflow snapshot load`), as after a restart: this
    /// VM hands a process memory it has just freed much faster than memory never touched, so
    /// the in-process figure can flatter whatever reuses the write's freed buffers.
    var freshProcessRestoreSeconds: Double?
    /// The CPU parts of write and restore, timed separately: bytes from state (with their
    /// checksum, the bytes discarded), and state from the whole file already in memory.
    var encodeSeconds: Double
    var decodeSeconds: Double
    var accounts: Int
    /// Events applied to each account before the snapshot.
    var eventsPerAccount: Int
    var bytes: Int
    /// The snapshot file, when it was kept.
    var path: String?

    var bytesPerAccount: Double { Double(bytes) / Double(max(accounts, 1)) }

    /// Writes in `directory`, which it removes afterwards unless `keep`. The state holds
    /// `eventsPerAccount` events of each account (in rounds, each round one event per account,
    /// later rounds later in event time): with one, every account has one signal and one person.
    static func run(
        model: CompiledModel, records: [AccountRecord], accounts: Int, eventsPerAccount: Int = 1, directory: String, keep: Bool = false,
        progress: (String) -> Void = { _ in }
    ) throws -> SnapshotBenchmark {
        var engine = Engine(model: model, directory: AccountDirectory(records: records))
        var fill = SyntheticTraffic(seed: 5)
        let start: Int64 = 1_788_220_800_000
        let accounts = max(accounts, 1)
        let eventsPerAccount = max(eventsPerAccount, 1)
        for round in 0..<eventsPerAccount {
            if eventsPerAccount > 1 { progress("filling state: round \(round + 1) of \(eventsPerAccount), one event per account…") }
            for account in 0..<accounts {
                let index = round * accounts + account
                _ = engine.process(Array(fill.event(index: index, account: account, at: start + Int64(index)).utf8), clock: nil)
            }
        }
        let store = SnapshotStore(directory: directory, keep: 1)
        defer { if !keep { try? FileManager.default.removeItem(atPath: directory) } }
        let header = Snapshot.Header(
            task: 0, sequence: 1, writtenAtMilliseconds: 0, configVersion: engine.model.version, inputOffsets: [:], outputWatermarks: [:],
            accounts: engine.state.accounts.count, heldVisitors: 0, identifiedVisitors: 0)
        // The daemon copies a task's state under its lock and writes the copy outside it: the copy
        // is the pause the processing loop sees.
        let copyStart = ContinuousClock.now
        let copied = engine.state.copy(task: 0)
        let pauseSeconds = (ContinuousClock.now - copyStart).seconds
        let writeStart = ContinuousClock.now
        let written = try store.write(Snapshot(header: header, state: copied))
        let writeSeconds = (ContinuousClock.now - writeStart).seconds
        let restoreStart = ContinuousClock.now
        var damage: String?
        // Restoring ends when the state is in an engine and indexed, as after an assignment.
        let restored = store.loadLatest(task: 0) { _, reason in damage = reason }
        var restoredState = EngineState()
        if let restored { restoredState.merge(restored.state) }
        let restoreSeconds = (ContinuousClock.now - restoreStart).seconds
        // The encoding as the write does it (in pieces, with the checksum), the bytes discarded.
        let encodeStart = ContinuousClock.now
        _ = try Snapshot(header: header, state: copied).encode { _ in } patchLength: { _, _ in }
        let encodeSeconds = (ContinuousClock.now - encodeStart).seconds
        let encoded = ByteSource(copying: try SnapshotStore.read(written.path))
        let decodeStart = ContinuousClock.now
        let decoded = try Snapshot.decode(encoded)
        let decodeSeconds = (ContinuousClock.now - decodeStart).seconds
        withExtendedLifetime(decoded) {}
        guard restored != nil else { throw SnapshotBenchmarkFailure(description: "snapshot restore failed: \(damage ?? "no file")") }
        guard restoredState.accounts == engine.state.accounts else {
            throw SnapshotBenchmarkFailure(description: "the restored state differs from the written one")
        }
        let freshProcessRestoreSeconds = try restoreInChildProcess(path: written.path, accounts: engine.state.accounts.count)
        return SnapshotBenchmark(
            pauseSeconds: pauseSeconds, writeSeconds: writeSeconds, restoreSeconds: restoreSeconds,
            freshProcessRestoreSeconds: freshProcessRestoreSeconds,
            encodeSeconds: encodeSeconds, decodeSeconds: decodeSeconds, accounts: engine.state.accounts.count,
            eventsPerAccount: eventsPerAccount, bytes: written.bytes,
            path: keep ? written.path : nil)
    }

    /// Runs `leadflow snapshot load --json` on the file in a child process and returns its
    /// restore time; nil when this executable cannot be found to run.
    private static func restoreInChildProcess(path: String, accounts: Int) throws -> Double? {
        guard let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return nil }
        let child = Process()
        child.executableURL = URL(fileURLWithPath: executable)
        child.arguments = ["snapshot", "load", "--json", path]
        let output = Pipe()
        child.standardOutput = output
        try child.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        child.waitUntilExit()
        let lastLine = String(decoding: data, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
        guard child.terminationStatus == 0,
            let figures = try? JSONSerialization.jsonObject(with: Data(lastLine.utf8)) as? [String: Any],
            let seconds = figures["restore_s"] as? Double, figures["accounts"] as? Int == accounts
        else {
            throw SnapshotBenchmarkFailure(description: "the restore in a fresh process failed (exit \(child.terminationStatus)): \(lastLine)")
        }
        return seconds
    }

    var summary: String {
        String(
            format: "snapshot of %d accounts (%d event%@ each): loop pause (state copy) %.0f ms (target <= 50), write %.2f s (encoding %.2f s), restore %.2f s (decoding %.2f s) (target <= 2 s each), %.0f bytes/account",
            accounts, eventsPerAccount, eventsPerAccount == 1 ? "" : "s", pauseSeconds * 1_000, writeSeconds, encodeSeconds, restoreSeconds, decodeSeconds, bytesPerAccount)
            + (freshProcessRestoreSeconds.map { String(format: "; restore in a fresh process (as at a restart) %.2f s", $0) } ?? "")
    }

    var figures: [String: Any] {
        [
            "snapshot_accounts": accounts, "snapshot_events_per_account": eventsPerAccount, "snapshot_pause_ms": (pauseSeconds * 1_000).rounded(),
            "snapshot_write_s": (writeSeconds * 100).rounded() / 100, "snapshot_restore_s": (restoreSeconds * 100).rounded() / 100,
            "snapshot_encode_s": (encodeSeconds * 100).rounded() / 100, "snapshot_decode_s": (decodeSeconds * 100).rounded() / 100,
            "snapshot_bytes_per_account": bytesPerAccount.rounded(),
            "snapshot_restore_fresh_process_s": freshProcessRestoreSeconds.map { ($0 * 100).rounded() / 100 } ?? NSNull(),
        ]
    }
}

struct SnapshotBenchmarkFailure: Error, CustomStringConvertible {
    var description: String
}
