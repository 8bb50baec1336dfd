import Yams

/// One problem found in a config file: where (a dotted path and line) and what.
public struct ConfigProblem: Sendable, Hashable, CustomStringConvertible {
    public var path: String
    public var line: Int?
    public var message: String

    public init(path: String, line: Int?, message: String) {
        self.path = path
        self.line = line
        self.message = message
    }

    public var description: String { "\(path.isEmpty ? "(top level)" : path)\(line.map { " (line \($0))" } ?? ""): \(message)" }
}

/// Every problem of a config file at once, so one edit can fix them all.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var problems: [ConfigProblem]

    public init(file: String, problems: [ConfigProblem]) {
        self.file = file
        self.problems = problems
    }

    public var description: String {
        "\(file): \(problems.count) problem\(problems.count == 1 ? "" : "s"):\n" + problems.map { "  - \($0)" }.joined(separator: "\n")
    }
}

/// A value a config file can set: reads itself from a YAML node, reporting problems with paths.
protocol ConfigReadable {
    init()
    static var expected: String { get }
    static func read(_ node: Node, at path: String, into value: inout Self, problems: inout [ConfigProblem])
}

extension ConfigReadable {
    static func problem(_ node: Node, _ path: String, _ message: String) -> ConfigProblem {
        ConfigProblem(path: path, line: node.mark.map { $0.line }, message: message)
    }

    static func mismatch(_ node: Node, _ path: String) -> ConfigProblem {
        let found: String
        switch node {
        case .scalar(let scalar): found = "'\(scalar.string)'"
        case .mapping: found = "a mapping"
        case .sequence: found = "a list"
        case .alias: found = "an alias"
        }
        return problem(node, path, "expected \(expected), found \(found)")
    }
}

/// A config section: a YAML mapping whose keys are read one by one; keys nobody reads are
/// reported as unknown (a typo must not silently fall back to a default).
protocol ConfigSection: ConfigReadable {
    mutating func readFields(_ fields: inout ConfigFields)
}

extension ConfigSection {
    static var expected: String { "a mapping" }

    static func read(_ node: Node, at path: String, into value: inout Self, problems: inout [ConfigProblem]) {
        guard case .mapping(let mapping) = node else {
            problems.append(mismatch(node, path))
            return
        }
        var fields = ConfigFields(mapping: mapping, path: path)
        value.readFields(&fields)
        fields.reportUnknownKeys()
        problems += fields.problems
    }
}

/// The keys of one mapping, read by a section.
struct ConfigFields {
    let mapping: Node.Mapping
    let path: String
    var problems: [ConfigProblem] = []
    private var readKeys: Set<String> = []

    init(mapping: Node.Mapping, path: String) {
        self.mapping = mapping
        self.path = path
    }

    func childPath(_ key: String) -> String { path.isEmpty ? key : path + "." + key }

    func node(_ key: String) -> Node? {
        mapping.first { $0.key.string == key }?.value
    }

    mutating func read<Value: ConfigReadable>(_ key: String, _ value: inout Value) {
        readKeys.insert(key)
        guard let node = node(key) else { return }
        Value.read(node, at: childPath(key), into: &value, problems: &problems)
    }

    mutating func required<Value: ConfigReadable>(_ key: String, _ value: inout Value) {
        readKeys.insert(key)
        guard let node = node(key) else {
            problems.append(ConfigProblem(path: childPath(key), line: mapping.first?.key.mark?.line, message: "missing (required)"))
            return
        }
        Value.read(node, at: childPath(key), into: &value, problems: &problems)
    }

    mutating func check(_ condition: Bool, _ key: String, _ message: String) {
        guard !condition else { return }
        let line = mapping.first { $0.key.string == key }?.key.mark?.line
        problems.append(ConfigProblem(path: childPath(key), line: line, message: message))
    }

    mutating func reportUnknownKeys() {
        for (key, _) in mapping where !readKeys.contains(key.string ?? "") {
            let known = readKeys.sorted().joined(separator: ", ")
            problems.append(ConfigProblem(
                path: childPath(key.string ?? "?"), line: key.mark?.line, message: "unknown setting (known here: \(known))"))
        }
    }
}

extension Double: ConfigReadable {
    static var expected: String { "a number" }
    static func read(_ node: Node, at path: String, into value: inout Double, problems: inout [ConfigProblem]) {
        guard case .scalar(let scalar) = node, let number = Double(scalar.string.replacingUnderscores()), number.isFinite else {
            problems.append(mismatch(node, path))
            return
        }
        value = number
    }
}

extension Int: ConfigReadable {
    static var expected: String { "a whole number" }
    static func read(_ node: Node, at path: String, into value: inout Int, problems: inout [ConfigProblem]) {
        guard case .scalar(let scalar) = node, let number = Int(scalar.string.replacingUnderscores()) else {
            problems.append(mismatch(node, path))
            return
        }
        value = number
    }
}

extension Bool: ConfigReadable {
    static var expected: String { "true or false" }
    static func read(_ node: Node, at path: String, into value: inout Bool, problems: inout [ConfigProblem]) {
        guard case .scalar(let scalar) = node else {
            problems.append(mismatch(node, path))
            return
        }
        switch scalar.string.lowercased() {
        case "true", "yes", "on": value = true
        case "false", "no", "off": value = false
        default: problems.append(mismatch(node, path))
        }
    }
}

extension String: ConfigReadable {
    static var expected: String { "a string" }
    static func read(_ node: Node, at path: String, into value: inout String, problems: inout [ConfigProblem]) {
        guard case .scalar(let scalar) = node else {
            problems.append(mismatch(node, path))
            return
        }
        value = scalar.string
    }
}

extension Array: ConfigReadable where Element: ConfigReadable {
    static var expected: String { "a list" }
    static func read(_ node: Node, at path: String, into value: inout [Element], problems: inout [ConfigProblem]) {
        guard case .sequence(let sequence) = node else {
            problems.append(mismatch(node, path))
            return
        }
        value = sequence.enumerated().map { index, child in
            var element = Element()
            Element.read(child, at: "\(path)[\(index)]", into: &element, problems: &problems)
            return element
        }
    }
}

extension Dictionary: ConfigReadable where Key == String, Value: ConfigReadable {
    static var expected: String { "a mapping" }
    static func read(_ node: Node, at path: String, into value: inout [String: Value], problems: inout [ConfigProblem]) {
        guard case .mapping(let mapping) = node else {
            problems.append(mismatch(node, path))
            return
        }
        var result: [String: Value] = [:]
        for (key, child) in mapping {
            let name = key.string ?? ""
            var element = Value()
            Value.read(child, at: path + "." + name, into: &element, problems: &problems)
            result[name] = element
        }
        value = result
    }
}

extension Optional: ConfigReadable where Wrapped: ConfigReadable {
    init() { self = nil }
    static var expected: String { Wrapped.expected }
    static func read(_ node: Node, at path: String, into value: inout Wrapped?, problems: inout [ConfigProblem]) {
        if case .scalar(let scalar) = node, scalar.string == "null" || scalar.string == "~" || scalar.string.isEmpty {
            value = nil
            return
        }
        var wrapped = value ?? Wrapped()
        Wrapped.read(node, at: path, into: &wrapped, problems: &problems)
        value = wrapped
    }
}

extension String {
    /// YAML allows `1_000_000`; Swift's number parsers do not.
    fileprivate func replacingUnderscores() -> String { String(filter { $0 != "_" }) }
}
