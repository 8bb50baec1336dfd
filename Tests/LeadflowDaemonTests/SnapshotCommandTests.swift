import Foundation
@testable import LeadflowDaemon
@testable import LeadflowEngine
import Testing

/// `leadflow snapshot inspect` and `snapshot load`, run as an operator runs them: the built binary
/// on a file the daemon's own store wrote.
@Suite("Snapshot commands: inspect and load a file as an operator would")
struct SnapshotCommandTests {
    /// Runs the binary; its exit status and what it printed (standard output and error together).
    static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CrashRecoveryTests.binary)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// A snapshot of the scripted state, written by the store; the folder is the caller's to remove.
    static func writtenSnapshot() throws -> (folder: String, path: String, state: EngineState) {
        let folder = NSTemporaryDirectory() + "leadflow-snapshot-command-\(UUID().uuidString)"
        let state = SnapshotFileTests.scriptedState()
        var header = SnapshotFileTests.header
        header.accounts = state.accounts.count
        let written = try SnapshotStore(directory: folder, keep: 1).write(Snapshot(header: header, state: state))
        return (folder, written.path, state)
    }

    @Test("inspect prints the header, the counts and a sample account; load restores every account")
    func inspectAndLoad() throws {
        let (folder, path, state) = try Self.writtenSnapshot()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let inspected = try Self.run(["snapshot", "inspect", path])
        #expect(inspected.status == 0, "\(inspected.output)")
        #expect(inspected.output.contains("checksum ok"))
        #expect(inspected.output.contains("task 3, sequence 42"))
        #expect(inspected.output.contains("input offsets: page-views=17"))
        #expect(inspected.output.contains("accounts \(state.accounts.count), held visitors"))
        let sample = try #require(state.accounts.values.map(\.accountID).min())
        #expect(inspected.output.contains("sample account \(sample) "))

        let loaded = try Self.run(["snapshot", "load", "--json", path])
        #expect(loaded.status == 0, "\(loaded.output)")
        let last = try #require(loaded.output.split(separator: "\n").last)
        let figures = try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
        #expect(figures["accounts"] as? Int == state.accounts.count)
    }

    @Test("a damaged file, a missing one and a folder each fail with exit 1 and the reason, not usage text")
    func failures() throws {
        let (folder, path, _) = try Self.writtenSnapshot()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var bytes = try SnapshotStore.read(path)
        bytes[bytes.count / 2] ^= 0x40
        let damaged = folder + "/damaged.snap"
        try Data(bytes).write(to: URL(fileURLWithPath: damaged))
        for command in ["inspect", "load"] {
            let result = try Self.run(["snapshot", command, damaged])
            #expect(result.status == 1, "\(command): \(result.output)")
            #expect(result.output.contains("checksum"), "\(command): \(result.output)")
            for unreadable in [folder + "/missing.snap", folder] {
                let failed = try Self.run(["snapshot", command, unreadable])
                #expect(failed.status == 1, "\(command) \(unreadable): \(failed.output)")
                #expect(failed.output.contains(unreadable), "\(command) \(unreadable): \(failed.output)")
                #expect(!failed.output.contains("Usage"), "\(command) \(unreadable): \(failed.output)")
            }
        }
    }
}
