import ArgumentParser
import Foundation
import LeadflowConfig
import LeadflowDaemon
import LeadflowEngine
import LeadflowKafka
import Logging

struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Re-run the job over a range of the input topics: backfill, seed state, or review a rule change.",
        discussion: """
            Reads the input topics from --from (offsets-for-times) or --from-offsets, up to their end offsets \
            as of the start (or a partition's first record stamped after --to), in its own consumer group: it \
            commits nothing and never moves the live group's offsets. Records are applied in the live daemon's \
            order with the same clock readings, so the outputs equal the live ones byte for byte apart from the \
            replay marker (a "replayed": true field and a leadflow-replayed header).

            Choose at least one of: --dry-run (a report only), --output-topics-suffix (publish to backfill \
            topics named after the output topics plus the suffix; create them first), --write-snapshot (seed a \
            new deployment's state). --compare-config OLD.yaml adds a what-if report: the --config model against \
            the old one over the same range. The embedded development broker cannot answer timestamp lookups: \
            use --from-offsets there.
            """
    )

    @Option(help: "The config file whose model the replay runs (the proposed one with --compare-config).")
    var config: String

    @Option(help: "Start at the first records at or after this RFC 3339 time (offsets-for-times).")
    var from: String?

    @Option(name: .customLong("from-offsets"), help: "'beginning', or TOPIC:PARTITION:OFFSET,… (unlisted partitions start at their first record).")
    var fromOffsets: String?

    @Option(help: "End each partition at its first record stamped after this RFC 3339 time.")
    var to: String?

    @Option(name: .customLong("from-snapshot"), help: "Start from this snapshot file, or the latest valid snapshot per task in this folder.")
    var fromSnapshot: String?

    @Flag(name: .customLong("dry-run"), help: "Publish nothing; print the report.")
    var dryRun = false

    @Option(name: .customLong("output-topics-suffix"), help: "Publish outputs to <output topic><SUFFIX> (for example '.backfill').")
    var outputTopicsSuffix: String?

    @Option(name: .customLong("write-snapshot"), help: "Write each task's final state to this folder as snapshots.")
    var writeSnapshot: String?

    @Option(name: .customLong("compare-config"), help: "The model running today: report what the --config model would change.")
    var compareConfig: String?

    @Option(help: "The replay's consumer group (default: kafka.group_id + '.replay').")
    var group: String?

    @Flag(help: "End with the report as one JSON object on standard output.")
    var json = false

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard dryRun || outputTopicsSuffix != nil || writeSnapshot != nil else {
            throw ValidationError("choose what the replay does: --dry-run, --output-topics-suffix SUFFIX and/or --write-snapshot DIR")
        }
        if dryRun && outputTopicsSuffix != nil { throw ValidationError("--dry-run publishes nothing; drop it or --output-topics-suffix") }
        if outputTopicsSuffix == "" { throw ValidationError("--output-topics-suffix must not be empty: replay never writes to the live output topics") }
        if from != nil && fromOffsets != nil { throw ValidationError("give --from or --from-offsets, not both") }
        if from == nil && fromOffsets == nil && fromSnapshot == nil {
            throw ValidationError("give where to start: --from TIME, --from-offsets beginning|TOPIC:PARTITION:OFFSET,… or --from-snapshot PATH")
        }
        if let from, RFC3339.parse(from) == nil { throw ValidationError("--from must be an RFC 3339 time such as 2026-11-01T00:00:00Z, got '\(from)'") }
        if let to, RFC3339.parse(to) == nil { throw ValidationError("--to must be an RFC 3339 time such as 2026-11-08T00:00:00Z, got '\(to)'") }
        if let fromOffsets { _ = try Self.parseOffsets(fromOffsets) }
    }

    /// `beginning` or `topic:partition:offset,…` (a topic name may itself hold colons; the last two fields are numbers).
    static func parseOffsets(_ text: String) throws -> ReplayOptions.Start {
        if text == "beginning" { return .beginning }
        var offsets: [KafkaPartition: Int64] = [:]
        for item in text.split(separator: ",") {
            let fields = item.split(separator: ":", omittingEmptySubsequences: false)
            guard fields.count >= 3, let partition = Int32(fields[fields.count - 2]), let offset = Int64(fields[fields.count - 1]),
                partition >= 0, offset >= 0
            else {
                throw ValidationError("--from-offsets: '\(item)' is not TOPIC:PARTITION:OFFSET with a partition and offset of 0 or more")
            }
            let topic = fields.dropLast(2).joined(separator: ":")
            guard !topic.isEmpty else { throw ValidationError("--from-offsets: '\(item)' names no topic") }
            offsets[KafkaPartition(topic: topic, partition: partition)] = offset
        }
        return .offsets(offsets)
    }

    func run() async throws {
        let configuration = try loadConfiguration(config)
        let logger = logging.makeLogger(label: "leadflow.replay", settings: configuration.logging)
        var options = ReplayOptions(configuration: configuration, directory: try loadDirectory(configuration, logger: logger))
        if let from { options.start = .time(milliseconds: RFC3339.parse(from)!.milliseconds) }
        if let fromOffsets { options.start = try Self.parseOffsets(fromOffsets) }
        options.endTime = to.flatMap(RFC3339.parse)?.milliseconds
        options.publishSuffix = outputTopicsSuffix
        options.fromSnapshot = fromSnapshot
        options.writeSnapshotDirectory = writeSnapshot
        if let compareConfig { options.compareModel = try loadConfiguration(compareConfig).model }
        if let group { options.groupID = group }
        let bar = ProgressBar(logger: logger)
        options.onProgress = { bar.show($0) }
        let report: ReplayReport
        do { report = try await Replay(options: options, logger: logger).run() } catch let error as ReplayError {
            bar.finish()
            FileHandle.standardError.write(Data("leadflow replay: \(error)\n".utf8))
            throw ExitCode(1)
        }
        bar.finish()
        print(report.text)
        if json { print(report.json) }
    }

    private func loadConfiguration(_ path: String) throws -> LeadflowConfiguration {
        do { return try LeadflowConfiguration.load(path: path) } catch let error as ConfigError {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            throw ExitCode(2)
        }
    }

    private func loadDirectory(_ configuration: LeadflowConfiguration, logger: Logger) throws -> AccountDirectory {
        guard let path = configuration.accountsFile else { return AccountDirectory() }
        let loaded = try ReferenceData.load(path: path)
        for problem in loaded.problems { logger.warning("bad account record skipped", metadata: ["file": "\(path)", "problem": "\(problem)"]) }
        return loaded.directory
    }
}
