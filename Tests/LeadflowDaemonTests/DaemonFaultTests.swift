import Foundation
import LeadflowConfig
import LeadflowDaemon
import LeadflowEngine
import LeadflowKafka
import Testing

@Suite("leadflow run under faults: unwritable snapshots, a broker outage", .serialized, .timeLimit(.minutes(5)))
struct DaemonFaultTests {
    /// Snapshot files by name with their bytes.
    static func snapshotFiles(_ configuration: LeadflowConfiguration) throws -> [String: Data] {
        let folder = configuration.snapshots.directory
        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder) {
            files[name] = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name))
        }
        return files
    }

    /// The scenario's first half through a healthy daemon, which snapshots it; returns the
    /// scenario, the split point and the snapshot files written.
    static func firstHalfSnapshotted(_ harness: DaemonHarness, _ configuration: LeadflowConfiguration) async throws -> ([String], Int, [String: Data]) {
        let lines = try DaemonEndToEndTests.scenarioLines()
        let half = lines.count / 2
        try harness.produceWithKcat(Array(lines[..<half]))
        #expect(try await harness.runDaemon(configuration, until: half).snapshotsWritten > 0)
        let before = try snapshotFiles(configuration)
        #expect(!before.isEmpty)
        return (lines, half, before)
    }

    /// The published outputs (not dead letters) must be exactly what the engine makes of the
    /// input topics: nothing lost, nothing doubled.
    static func expectExactOutputs(_ harness: DaemonHarness, _ configuration: LeadflowConfiguration) async throws {
        let expected = try await DaemonEndToEndTests.expectedOutputs(harness, configuration)
        let published = try await harness.published(configuration).filter { $0.topic != configuration.topics.deadLetters }
        #expect(expected.outputs.count >= 5)
        #expect(published.map(\.text).sorted() == expected.outputs.sorted())
    }

    /// Runs the `leadflow` binary through `launcher` (a command that then executes it) over the
    /// second half, waits for `logs`, then until every input is committed; it must exit 0 on
    /// SIGTERM, leave the earlier snapshots byte for byte as they were, and publish exactly the
    /// expected outputs.
    static func runBinaryThroughFault(
        _ harness: DaemonHarness, _ configuration: LeadflowConfiguration, lines: [String], half: Int, before: [String: Data],
        binary: String, configPath: String, launcher: [String], logs: [String]
    ) async throws {
        try harness.produceWithKcat(Array(lines[half...]))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: launcher[0])
        process.arguments = Array(launcher.dropFirst()) + [binary, "run", "--config", configPath]
        let errors = Pipe()
        process.standardError = errors
        let log = LogCollector()
        errors.fileHandleForReading.readabilityHandler = { handle in log.append(handle.availableData) }
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        for line in logs { try await log.wait(for: line, timeout: .seconds(60)) }

        // It goes on: every input gets committed.
        let deadline = ContinuousClock.now + .seconds(60)
        var committed: [KafkaPartition: Int64] = [:]
        var ends: [KafkaPartition: Int64] = [:]
        let admin = try KafkaAdmin(configuration: KafkaClientConfiguration(bootstrapServers: harness.broker.bootstrapServerList), logger: harness.logger)
        for topic in configuration.topics.inputs {
            for number in Int32(0)..<2 {
                let partition = KafkaPartition(topic: topic, partition: number)
                ends[partition] = try await admin.watermarks(partition).high
            }
        }
        while ContinuousClock.now < deadline {
            committed = try await harness.committed(configuration)
            if ends.allSatisfy({ committed[$0.key] ?? 0 >= $0.value || $0.value == 0 }) { break }
            try await Task.sleep(for: .milliseconds(300))
        }
        #expect(ends.allSatisfy { committed[$0.key] ?? 0 >= $0.value || $0.value == 0 }, "committed \(committed), ends \(ends)")
        process.terminate()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        // The earlier snapshots are byte for byte what they were, and no temporary file is left.
        #expect(try Self.snapshotFiles(configuration) == before)
        for (_, bytes) in before { #expect(throws: Never.self) { try Snapshot.decode(Array(bytes)) } }
        try await Self.expectExactOutputs(harness, configuration)
    }

    @Test("a snapshot that cannot be written (a file size limit standing in for a full disk) is logged; the binary keeps processing, exits 0, and the previous snapshot stays intact")
    func snapshotWriteFails() async throws {
        let harness = try DaemonHarness()
        let configuration = try harness.configuration(name: "disk", snapshotEvery: 5)
        let (lines, half, before) = try await Self.firstHalfSnapshotted(harness, configuration)
        let path = harness.folder + "/disk.yaml"
        try CrashRecoveryTests.writeConfig(configuration, to: path)
        // Every file write of the binary beyond 64 bytes fails with EFBIG, as a full disk fails
        // with ENOSPC. The limit is the child's alone (other suites run in this process).
        try await Self.runBinaryThroughFault(
            harness, configuration, lines: lines, half: half, before: before, binary: CrashRecoveryTests.binary, configPath: path,
            launcher: ["/usr/bin/prlimit", "--fsize=64:64", "--"], logs: ["snapshot failed; the previous one stays in place", "File too large"])
    }

    @Test("a snapshot folder the daemon may not write (permission denied) is logged; the binary keeps processing and exits 0")
    func snapshotPermissionDenied() async throws {
        let harness = try DaemonHarness()
        var configuration = try harness.configuration(name: "denied", snapshotEvery: 5)
        let (lines, half, before) = try await Self.firstHalfSnapshotted(harness, configuration)

        // The binary runs as nobody (uid 65534) over root's snapshot folder (0755). It and its
        // files are copied where nobody may read them.
        let binary = harness.folder + "/leadflow"
        try FileManager.default.copyItem(atPath: CrashRecoveryTests.binary, toPath: binary)
        let accounts = harness.folder + "/accounts.jsonl"
        try FileManager.default.copyItem(atPath: configuration.accountsFile!, toPath: accounts)
        configuration.accountsFile = accounts
        let path = harness.folder + "/denied.yaml"
        try CrashRecoveryTests.writeConfig(configuration, to: path)
        for item in [harness.folder, binary, accounts, path] {
            try FileManager.default.setAttributes([.posixPermissions: item == binary || item == harness.folder ? 0o755 : 0o644], ofItemAtPath: item)
        }
        try await Self.runBinaryThroughFault(
            harness, configuration, lines: lines, half: half, before: before, binary: binary, configPath: path,
            launcher: ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"],
            logs: ["snapshot failed; the previous one stays in place", "Permission denied"])
    }

    @Test("a broker outage mid-stream: the daemon waits it out and publishes every output exactly once")
    func brokerOutage() async throws {
        let harness = try DaemonHarness()
        var configuration = try harness.configuration(name: "outage", snapshotEvery: 5)
        // If the outage costs the member its session, the embedded broker only rebalances after
        // max.poll.interval.ms: keep both short, as the crash-recovery test does.
        configuration.kafka.properties = ["session.timeout.ms": "6000", "heartbeat.interval.ms": "500", "max.poll.interval.ms": "10000"]
        let lines = try DaemonEndToEndTests.scenarioLines()
        let half = lines.count / 2
        try harness.produceWithKcat(Array(lines[..<half]))
        let daemon = try Daemon(options: Daemon.Options(configuration: configuration, directory: try harness.directory(configuration)), logger: harness.logger)
        let running = Task { try await daemon.run() }
        let deadline = ContinuousClock.now + .seconds(90)
        while daemon.counters.eventsIn < half && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(100)) }
        #expect(daemon.counters.eventsIn == half)

        // Longer than the session timeout: the member loses its partitions and must rejoin.
        try harness.broker.setBrokerDown(1)
        try await Task.sleep(for: .seconds(8))
        // The second half is produced while the daemon's fetches still fail, so it is read whole
        // once they succeed: read while being produced, a record could reach its partition after
        // the merge found that partition at its end, and be applied later than a replay applies
        // it (a known limitation, see the README), which this test is not about.
        harness.broker.pushRequestErrors(.fetch, Array(repeating: KafkaProtocolError.notLeaderForPartition, count: 100_000))
        try harness.broker.setBrokerUp(1)
        try harness.produceWithKcat(Array(lines[half...]))
        try await Task.sleep(for: .seconds(1))
        #expect(daemon.counters.eventsIn == half, "the daemon read the second half while its fetches were to fail")
        harness.broker.clearRequestErrors(.fetch)
        // Every input processed and committed once the cluster is back.
        let recovery = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < recovery {
            let committed = try await harness.committed(configuration).values.filter { $0 >= 0 }.reduce(0, +)
            if committed >= Int64(lines.count) { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        daemon.requestStop()
        try await running.value
        #expect(try await harness.committed(configuration).values.filter { $0 >= 0 }.reduce(0, +) == Int64(lines.count))
        try await Self.expectExactOutputs(harness, configuration)
    }
}
