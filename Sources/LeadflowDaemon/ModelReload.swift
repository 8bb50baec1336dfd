import LeadflowConfig
import LeadflowEngine
import Logging
import Synchronization

/// What a reload request did.
public enum ModelReload: Sendable {
    /// The new model runs for every later event; outputs carry its version.
    case applied(previousVersion: String, version: String)
    /// The file's model is the one already running.
    case unchanged(version: String)
    /// The file has problems; the running model stays.
    case rejected(ConfigError)
}

extension Daemon {
    /// Re-reads the config file and swaps in its scoring and routing model when it is valid
    /// (SIGHUP). Only the model changes: Kafka, topic, snapshot and admin settings need a
    /// restart, and a change there is logged as ignored.
    public func reloadModel(fromFile path: String) -> ModelReload {
        let fresh: LeadflowConfiguration
        do { fresh = try LeadflowConfiguration.load(path: path) } catch let error as ConfigError {
            logger.error("config reload rejected; the running model stays", metadata: ["file": "\(path)", "problems": "\(error.problems.count)"])
            for problem in error.problems { logger.error("config problem", metadata: ["file": "\(path)", "problem": "\(problem)"]) }
            return .rejected(error)
        } catch {
            let wrapped = ConfigError(file: path, problems: [ConfigProblem(path: "", line: nil, message: "\(error)")])
            logger.error("config reload rejected; the running model stays", metadata: ["file": "\(path)", "problem": "\(error)"])
            return .rejected(wrapped)
        }
        let running = options.configuration
        if fresh.kafka != running.kafka || fresh.topics != running.topics || fresh.snapshots != running.snapshots || fresh.admin != running.admin {
            logger.warning("config reload applies the model only; kafka, topics, snapshots and admin changes need a restart", metadata: ["file": "\(path)"])
        }
        let model = CompiledModel(fresh.model)
        let previous = core.withLock { core -> String in
            let previous = core.engine.model.version
            if previous != model.version { core.engine.replaceModel(model) }
            return previous
        }
        guard previous != model.version else {
            logger.info("config reloaded; the model is unchanged", metadata: ["config_version": "\(previous)"])
            return .unchanged(version: previous)
        }
        logger.notice("config reloaded; new model applies to later events", metadata: ["config_version": "\(model.version)", "previous": "\(previous)"])
        return .applied(previousVersion: previous, version: model.version)
    }
}
