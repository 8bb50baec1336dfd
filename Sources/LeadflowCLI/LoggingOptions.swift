import ArgumentParser
import LeadflowConfig
import LeadflowDaemon
import Logging

/// `--log-level`, shared by the subcommands; logs go to standard error so standard output
/// stays machine-readable. Commands that read a config take its `logging` section (format,
/// level, hashing of emails and IPs); `--log-level` overrides the level.
struct LoggingOptions: ParsableArguments {
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (default: the config's logging.level, else info).")
    var logLevel: Logger.Level?

    func makeLogger(label: String, settings: LoggingSettings = LoggingSettings()) -> Logger {
        var logger = Logger(label: label) { name in
            StructuredLogHandler(label: name, format: settings.format, hashPersonalData: settings.hashPersonalData)
        }
        logger.logLevel = logLevel ?? Logger.Level(rawValue: settings.level) ?? .info
        return logger
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
