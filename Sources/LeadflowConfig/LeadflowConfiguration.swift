import Foundation
import LeadflowEngine
import Yams

/// The whole `leadflow.yaml`: the scoring and routing model and where reference data lives.
/// (The daemon's Kafka, topic and snapshot settings join it with `leadflow run`.)
public struct LeadflowConfiguration: Sendable {
    /// The scoring and routing model; its hash is the config version stamped on outputs.
    public var model = ScoringModel()
    /// Account reference data loaded at start (JSON Lines or CSV, by extension). Relative paths
    /// are relative to the config file. Default: none.
    public var accountsFile: String?

    public init() {}

    /// Loads and validates a config file, reporting every problem with its path in the file.
    public static func load(path: String) throws -> LeadflowConfiguration {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ConfigError(file: path, problems: [ConfigProblem(path: "", line: nil, message: "cannot read the file: \(error.localizedDescription)")])
        }
        var configuration = try parse(text, file: path)
        if let accounts = configuration.accountsFile, !accounts.hasPrefix("/") {
            configuration.accountsFile = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent(accounts).path
        }
        return configuration
    }

    public static func parse(_ text: String, file: String = "<config>") throws -> LeadflowConfiguration {
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch {
            throw ConfigError(file: file, problems: [ConfigProblem(path: "", line: nil, message: "not valid YAML: \(error)")])
        }
        var configuration = LeadflowConfiguration()
        guard let node else { return configuration }
        var problems: [ConfigProblem] = []
        Self.read(node, at: "", into: &configuration, problems: &problems)
        if !problems.isEmpty { throw ConfigError(file: file, problems: problems) }
        return configuration
    }
}

extension LeadflowConfiguration: ConfigSection {
    mutating func readFields(_ fields: inout ConfigFields) {
        var version = 1
        fields.read("version", &version)
        fields.check(version == 1, "version", "this Leadflow reads config version 1, got \(version)")
        fields.read("model", &model)
        fields.read("accounts_file", &accountsFile)
    }
}
