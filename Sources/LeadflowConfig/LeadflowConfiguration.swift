import Foundation
import LeadflowEngine
import Yams

/// The whole `leadflow.yaml`: the scoring and routing model, where reference data lives, and
/// the daemon's Kafka, topic and snapshot settings.
public struct LeadflowConfiguration: Sendable {
    /// The scoring and routing model; its hash is the config version stamped on outputs.
    public var model = ScoringModel()
    /// Account reference data loaded at start (JSON Lines or CSV, by extension). Relative paths
    /// are relative to the config file. Default: none.
    public var accountsFile: String?
    public var kafka = KafkaSettings()
    public var topics = TopicSettings()
    public var snapshots = SnapshotSettings()
    public var admin = AdminSettings()
    public var logging = LoggingSettings()
    /// Graceful shutdown must finish within this. Default: 30 seconds.
    public var shutdownTimeoutSeconds: Double = 30

    public init() {}

    /// Loads and validates a config file, reporting every problem with its path in the file.
    public static func load(path: String) throws -> LeadflowConfiguration {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ConfigError(file: path, problems: [ConfigProblem(path: "", line: nil, message: "cannot read the file: \(error.localizedDescription)")])
        }
        var configuration = try parse(text, file: path)
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        if let accounts = configuration.accountsFile, !accounts.hasPrefix("/") {
            configuration.accountsFile = folder.appendingPathComponent(accounts).path
        }
        if !configuration.snapshots.directory.hasPrefix("/") {
            configuration.snapshots.directory = folder.appendingPathComponent(configuration.snapshots.directory).path
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
        fields.read("kafka", &kafka)
        fields.read("topics", &topics)
        fields.read("snapshots", &snapshots)
        fields.read("admin", &admin)
        fields.read("logging", &logging)
        fields.read("shutdown_timeout_seconds", &shutdownTimeoutSeconds)
        fields.check(shutdownTimeoutSeconds > 0, "shutdown_timeout_seconds", "must be greater than 0")
    }
}

extension KafkaSettings {
    /// The pass-through properties with `${NAME}` values read from the environment; a
    /// missing variable is a problem naming the property (never its value).
    public func resolvedProperties(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> [String: String] {
        var resolved: [String: String] = [:]
        var problems: [ConfigProblem] = []
        for (name, value) in properties {
            switch EnvironmentReference.resolve(value, path: "kafka.properties.\(name)", environment: environment) {
            case .success(let found): resolved[name] = found
            case .failure(let problem): problems.append(problem)
            }
        }
        if let password = environment["LEADFLOW_KAFKA_SASL_PASSWORD"], resolved["sasl.password"] == nil {
            resolved["sasl.password"] = password
        }
        if !problems.isEmpty { throw ConfigError(file: "environment", problems: problems) }
        return resolved
    }
}
