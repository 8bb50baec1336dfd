import ArgumentParser
import Foundation
import LeadflowConfig
import LeadflowEngine

struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate a config file and list every problem with its path; exit non-zero if there are any."
    )

    @Argument(help: "The config file.")
    var file: String

    func run() throws {
        do {
            let configuration = try LeadflowConfiguration.load(path: file)
            var accountsNote = ""
            if let path = configuration.accountsFile {
                let loaded = try ReferenceData.load(path: path)
                accountsNote = ", \(loaded.directory.count) accounts from \(path)"
                if !loaded.problems.isEmpty {
                    print("\(path): \(loaded.problems.count) bad record(s):")
                    for problem in loaded.problems { print("  - \(problem)") }
                    throw ExitCode(1)
                }
            }
            let model = CompiledModel(configuration.model)
            print("\(file): ok (config version \(model.version), \(configuration.model.routing.territories.count) territories\(accountsNote))")
        } catch let error as ConfigError {
            print(error.description)
            throw ExitCode(1)
        }
    }
}
