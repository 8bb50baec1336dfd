/// `${NAME}` as a setting's value: read from environment variable NAME, so secrets stay out of
/// config files. A missing variable is a problem naming the setting, never a value.
enum EnvironmentReference {
    static func resolve(_ value: String, path: String, environment: [String: String], allowEmpty: Bool = true) -> Result<String, ConfigProblem> {
        guard value.hasPrefix("${"), value.hasSuffix("}") else { return .success(value) }
        let variable = String(value.dropFirst(2).dropLast())
        guard let found = environment[variable], allowEmpty || !found.isEmpty else {
            return .failure(ConfigProblem(path: path, line: nil, message: "environment variable \(variable) is not set"))
        }
        return .success(found)
    }
}

/// A problem is also an error, so one resolution can return it in a `Result`.
extension ConfigProblem: Error {}
