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

    @Test("a snapshot that cannot be written (a file size limit standing in for a full disk) is logged and counted; processing goes on; the previous snapshot stays intact")
    func snapshotWriteFails() async throws {
        let harness = try DaemonHarness()
        let configuration = try harness.configuration(name: "disk", snapshotEvery: 5)
        let (lines, half, before) = try await Self.firstHalfSnapshotted(harness, configuration)

        try harness.produceWithKcat(Array(lines[half...]))
        // From here every file write beyond 64 bytes fails with EFBIG, as a full disk fails with ENOSPC.
        signal(SIGXFSZ, SIG_IGN)
        var saved = rlimit()
        getrlimit(Int32(RLIMIT_FSIZE.rawValue), &saved)
        var limited = saved
        limited.rlim_cur = 64
        setrlimit(Int32(RLIMIT_FSIZE.rawValue), &limited)
        let second: DaemonCounters
        do {
            defer { setrlimit(Int32(RLIMIT_FSIZE.rawValue), &saved) }
            second = try await harness.runDaemon(configuration, until: lines.count - half)
        }
        #expect(second.eventsIn == lines.count - half)
        #expect(second.snapshotFailures > 0)
        #expect(second.snapshotsWritten == 0)
        // The earlier snapshots are byte for byte what they were, and no temporary file is left.
        #expect(try Self.snapshotFiles(configuration) == before)
        for (_, bytes) in before { #expect(throws: Never.self) { try Snapshot.decode(Array(bytes)) } }
        try await Self.expectExactOutputs(harness, configuration)
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
        try harness.produceWithKcat(Array(lines[half...]))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        process.arguments = ["--reuid=65534", "--regid=65534", "--clear-groups", binary, "run", "--config", path]
        let errors = Pipe()
        process.standardError = errors
        let log = LogCollector()
        errors.fileHandleForReading.readabilityHandler = { handle in log.append(handle.availableData) }
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        try await log.wait(for: "snapshot failed; the previous one stays in place", timeout: .seconds(60))
        try await log.wait(for: "Permission denied")

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
        #expect(try Self.snapshotFiles(configuration) == before)
        try await Self.expectExactOutputs(harness, configuration)
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
        try harness.broker.setBrokerUp(1)
        try harness.produceWithKcat(Array(lines[half...]))
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
