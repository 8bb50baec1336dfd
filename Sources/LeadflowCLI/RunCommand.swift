import ArgumentParser
import Foundation
import LeadflowConfig
import LeadflowDaemon
import LeadflowEngine
import Logging

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the daemon: consume signals, score, route, publish; snapshot state to disk.",
        discussion: """
            Joins the consumer group in kafka.group_id and reads the three signal topics (co-partitioned: \
            the same partition count, keyed by account domain). SIGTERM or SIGINT stops gracefully: \
            stop fetching, publish what is in flight, snapshot, commit, leave the group, within \
            shutdown_timeout_seconds. A second signal exits at once. SIGHUP reloads the scoring and \
            routing model from the same file: a file with problems is rejected (every problem is logged) \
            and the running model stays; a good one applies to every later event and changes \
            config_version in outputs. Other sections (kafka, topics, snapshots, admin) need a restart.
            """
    )

    @Option(help: "The config file (leadflow.yaml).")
    var config: String

    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        let configuration: LeadflowConfiguration
        do { configuration = try LeadflowConfiguration.load(path: config) } catch let error as ConfigError {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            throw ExitCode(2)
        }
        let logger = logging.makeLogger(label: "leadflow.run", settings: configuration.logging)
        // A file size limit (LimitFSIZE, ulimit -f) must fail a snapshot write with EFBIG, which is
        // logged and counted, not kill the daemon with SIGXFSZ.
        signal(SIGXFSZ, SIG_IGN)
        var directory = AccountDirectory()
        if let path = configuration.accountsFile {
            let loaded = try ReferenceData.load(path: path)
            directory = loaded.directory
            for problem in loaded.problems { logger.warning("bad account record skipped", metadata: ["file": "\(path)", "problem": "\(problem)"]) }
            logger.info("account reference data loaded", metadata: ["accounts": "\(directory.count)", "file": "\(path)"])
        }
        let daemon = try Daemon(options: Daemon.Options(configuration: configuration, directory: directory), logger: logger)
        let signals = SignalCounter { count in
            if count == 1 {
                logger.notice("stop requested; finishing in-flight work (send the signal again to exit at once)")
                daemon.requestStop()
            } else {
                logger.warning("second signal: exiting at once")
                Foundation.exit(130)
            }
        }
        let reloads = SignalSource(SIGHUP) { [config] in _ = daemon.reloadModel(fromFile: config) }
        try await daemon.run()
        withExtendedLifetime((signals, reloads)) {}
    }
}

/// Counts SIGINT/SIGTERM and reports each to a handler, replacing the default handlers.
final class SignalCounter: @unchecked Sendable {
    private var sources: [any DispatchSourceSignal] = []
    private let lock = NSLock()
    private var count = 0

    init(_ handler: @escaping @Sendable (Int) -> Void) {
        let queue = DispatchQueue(label: "leadflow.signals")
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { [self] in
                let current = lock.withLock { () -> Int in
                    count += 1
                    return count
                }
                handler(current)
            }
            source.resume()
            sources.append(source)
        }
    }
}

/// Calls a handler on every delivery of one signal (SIGHUP for reloads), off the signal context.
/// `@unchecked`: the source is set once in `init` and only kept alive afterwards.
final class SignalSource: @unchecked Sendable {
    private let source: any DispatchSourceSignal

    init(_ number: Int32, handler: @escaping @Sendable () -> Void) {
        signal(number, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: number, queue: DispatchQueue(label: "leadflow.signal.\(number)"))
        source.setEventHandler(handler: handler)
        source.resume()
    }
}
