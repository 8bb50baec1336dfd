import ArgumentParser
import Foundation
import LeadflowConfig
import LeadflowEngine

struct ProcessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "process",
        abstract: "Run the engine over a file of events, without Kafka.",
        discussion: """
            Reads one JSON event per line from standard input, in file order, and writes one output \
            event (routing decision or surge trigger) per line to standard output. Rejected events go to \
            standard error as JSON lines with their line number and reason; a summary follows at the end. \
            Events stamped more than max_future_skew_minutes after --clock (default: the time the run \
            started) are rejected as future_timestamp; pass a fixed --clock to make a run reproducible \
            whenever it happens.
            """
    )

    @Option(help: "The config file (leadflow.yaml).")
    var config: String

    @Option(help: "Account reference data (JSON Lines, or CSV by extension); overrides accounts_file in the config.")
    var accounts: String?

    @Option(help: "The clock reading for the future-timestamp check: 'now' or an RFC 3339 time.")
    var clock: String = "now"

    func run() throws {
        let clockReading: EventTime
        if clock == "now" {
            clockReading = EventTime(milliseconds: Int64(Date().timeIntervalSince1970 * 1_000))
        } else if let parsed = RFC3339.parse(clock) {
            clockReading = parsed
        } else {
            throw ValidationError("--clock must be 'now' or an RFC 3339 time such as 2026-11-23T10:00:00Z, got '\(clock)'")
        }
        let configuration = try LeadflowConfiguration.load(path: config)
        var directory = AccountDirectory()
        if let path = accounts ?? configuration.accountsFile {
            let loaded = try ReferenceData.load(path: path)
            directory = loaded.directory
            for problem in loaded.problems {
                FileHandle.standardError.write(Data("{\"accounts_file\":\"\(path)\",\"line\":\(problem.line),\"rejection\":\(problem.rejection.json)}\n".utf8))
            }
        }
        var engine = Engine(model: CompiledModel(configuration.model), directory: directory)
        var reader = LineReader(descriptor: 0)
        var lineNumber = 0
        var outputCount = 0
        var output = ""
        output.reserveCapacity(1 << 16)
        while let line = reader.next() {
            lineNumber += 1
            if line.allSatisfy({ $0 == 32 || $0 == 9 }) { continue }
            let result = engine.process(line, clock: clockReading)
            if let rejection = result.rejection {
                FileHandle.standardError.write(Data("{\"line\":\(lineNumber),\"rejection\":\(rejection.json)}\n".utf8))
            }
            for item in result.outputs {
                output += item.json()
                output += "\n"
                outputCount += 1
            }
            if output.utf8.count > 1 << 16 {
                FileHandle.standardOutput.write(Data(output.utf8))
                output.removeAll(keepingCapacity: true)
            }
        }
        FileHandle.standardOutput.write(Data(output.utf8))
        let counters = engine.state.counters
        let summary = """
            {"summary":{"lines":\(lineNumber),"applied":\(counters.applied),"rejected":\(counters.rejected),\
            "outputs":\(outputCount),"accounts":\(engine.state.accounts.count),"held_page_views":\(counters.heldPageViews),\
            "released_page_views":\(counters.releasedPageViews),"dropped_held_page_views":\(counters.droppedHeldPageViews),\
            "unresolved":\(counters.unresolvedSignals),"ignored_unmatched":\(counters.ignoredUnmatchedSignals),\
            "uncategorized_page_views":\(counters.uncategorizedPageViews),"unknown_form_types":\(counters.unknownFormTypes),\
            "config_version":"\(engine.model.version)"}}
            """
        FileHandle.standardError.write(Data((summary + "\n").utf8))
    }
}
