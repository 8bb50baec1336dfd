import Foundation
import LeadflowConfig
import LeadflowDaemon
import LeadflowEngine
import LeadflowKafka
import Testing

@Suite("Model reload (SIGHUP) on a running daemon", .serialized, .timeLimit(.minutes(3)))
struct ModelReloadTests {
    static let goodModel = """
        version: 1
        accounts_file: \(DaemonHarness.repository.appendingPathComponent("Tests/LeadflowEngineTests/Scenarios/fortnight.accounts.jsonl").path)
        model:
          fit: {competitor_domains: [rival.example]}
          bands: {hot: 90}
          routing:
            territories: [{name: na, countries: [US, CA], min_employees: 0, max_employees: 1000000, team: na}]
            teams: {na: [{id: rep-ava, capacity: 2}, {id: rep-ben, capacity: 1}]}
        """

    @Test("a bad file keeps the running model and names every problem; a good one applies to later events")
    func reloadGoodAndBad() async throws {
        let harness = try DaemonHarness()
        let configuration = try harness.configuration(name: "reload")
        let lines = try DaemonEndToEndTests.scenarioLines()
        try harness.produceWithKcat(lines)
        let daemon = try Daemon(options: Daemon.Options(configuration: configuration, directory: try harness.directory(configuration)), logger: harness.logger)
        let running = Task { try await daemon.run() }
        let deadline = ContinuousClock.now + .seconds(60)
        while daemon.counters.eventsIn < lines.count && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(100)) }
        let before = CompiledModel(configuration.model).version

        let path = harness.folder + "/reload.yaml"
        try "version: 1\nmodel:\n  bands: {hot: \"high\", warm: -5}\n  nonsense: 1\n".write(toFile: path, atomically: true, encoding: .utf8)
        guard case .rejected(let error) = daemon.reloadModel(fromFile: path) else {
            Issue.record("a file with problems must be rejected")
            return
        }
        #expect(Set(error.problems.map(\.path)).isSuperset(of: ["model.bands.hot", "model.nonsense"]))
        #expect(error.problems.allSatisfy { $0.line != nil })

        try Self.goodModel.write(toFile: path, atomically: true, encoding: .utf8)
        guard case .applied(let previous, let version) = daemon.reloadModel(fromFile: path) else {
            Issue.record("a valid file must be applied")
            return
        }
        #expect(previous == before)
        #expect(version != before)
        guard case .unchanged = daemon.reloadModel(fromFile: path) else {
            Issue.record("reloading the same model must change nothing")
            return
        }

        // A later hand-raiser is decided under the new model and says so.
        let form = #"{"type":"form_submission","event_id":"after-reload","occurred_at":"2026-11-14T09:00:00Z","email":"zoe@freshlogo.example","form_type":"demo_request"}"#
        try harness.produceWithKcat([form])
        while daemon.counters.eventsIn < lines.count + 1 && ContinuousClock.now < deadline + .seconds(30) { try await Task.sleep(for: .milliseconds(100)) }
        daemon.requestStop()
        try await running.value
        let decisions = try await harness.published(configuration).filter { $0.topic == configuration.topics.routingDecisions }
        let after = try #require(decisions.first { $0.text.contains(#""trigger_event_ids":["after-reload"]"#) })
        #expect(after.text.contains("\"config_version\":\"\(version)\""))
        #expect(decisions.filter { $0 != after }.allSatisfy { $0.text.contains("\"config_version\":\"\(before)\"") })
    }

    @Test("SIGHUP makes the leadflow binary reload its config file")
    func sighupReloadsTheBinary() async throws {
        let binary = CrashRecoveryTests.binary
        #expect(FileManager.default.isExecutableFile(atPath: binary), "build the leadflow binary first (swift build)")
        let harness = try DaemonHarness()
        let configuration = try harness.configuration(name: "sighup")
        let path = harness.folder + "/sighup.yaml"
        try CrashRecoveryTests.writeConfig(configuration, to: path)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["run", "--config", path]
        let errors = Pipe()
        process.standardError = errors
        let collected = LogCollector()
        errors.fileHandleForReading.readabilityHandler = { handle in collected.append(handle.availableData) }
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        try await collected.wait(for: "leadflow run started")

        // An invalid edit: rejected, every problem logged, still running.
        let original = try String(contentsOfFile: path, encoding: .utf8)
        try (original + "\n  bands: {hot: \"high\"}\n").write(toFile: path, atomically: true, encoding: .utf8)
        kill(process.processIdentifier, SIGHUP)
        try await collected.wait(for: "config reload rejected")
        try await collected.wait(for: "model.bands.hot")
        #expect(process.isRunning)

        // A valid edit: applied.
        try (original + "\n  bands: {hot: 95}\n").write(toFile: path, atomically: true, encoding: .utf8)
        kill(process.processIdentifier, SIGHUP)
        try await collected.wait(for: "config reloaded; new model applies to later events")
        process.terminate()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }
}

/// Standard error of a child process, searchable while it runs.
final class LogCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var text = ""

    func append(_ data: Data) { lock.withLock { text += String(decoding: data, as: UTF8.self) } }

    func wait(for fragment: String, timeout: Duration = .seconds(30)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if lock.withLock({ text.contains(fragment) }) { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("'\(fragment)' never appeared in the log:\n\(lock.withLock { text })")
        throw CancellationError()
    }
}
