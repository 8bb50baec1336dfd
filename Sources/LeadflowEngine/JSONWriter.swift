/// Writes one JSON object with fields in the order given: outputs are a contract, and a fixed
/// field order plus fixed number formatting makes them byte-identical across runs.
public struct JSONWriter {
    private var text = "{"
    private var first = true

    public init() {}

    private mutating func key(_ name: String) {
        if !first { text += "," }
        first = false
        text += "\""
        text += name
        text += "\":"
    }

    public mutating func field(_ name: String, _ value: String) {
        key(name)
        JSONWriter.appendString(value, to: &text)
    }

    public mutating func field(_ name: String, _ value: String?) {
        key(name)
        if let value { JSONWriter.appendString(value, to: &text) } else { text += "null" }
    }

    public mutating func field(_ name: String, _ value: Int) {
        key(name)
        text += String(value)
    }

    public mutating func field(_ name: String, _ value: Bool) {
        key(name)
        text += value ? "true" : "false"
    }

    /// Numbers are rounded to 2 decimals (points) or written as given.
    public mutating func field(_ name: String, points value: Double) {
        key(name)
        text += JSONWriter.format(points: value)
    }

    public mutating func field(_ name: String, strings: [String]) {
        key(name)
        text += "["
        for (index, value) in strings.enumerated() {
            if index > 0 { text += "," }
            JSONWriter.appendString(value, to: &text)
        }
        text += "]"
    }

    /// A nested object or array already rendered as JSON.
    public mutating func field(_ name: String, raw: String) {
        key(name)
        text += raw
    }

    public mutating func finish() -> String {
        text += "}"
        return text
    }

    public static func format(points value: Double) -> String {
        let rounded = (value * 100).rounded() / 100
        if rounded == rounded.rounded(), abs(rounded) < 1e15 { return String(Int64(rounded)) }
        return String(rounded)
    }

    public static func appendString(_ value: String, to text: inout String) {
        text += "\""
        // Ids, domains and reasons almost never need escaping: then the string goes in whole.
        if !value.utf8.contains(where: { $0 == 0x22 || $0 == 0x5C || $0 < 0x20 }) {
            text += value
            text += "\""
            return
        }
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: text.unicodeScalars.append(scalar)
            }
        }
        text += "\""
    }

    /// An array of rendered JSON values.
    public static func array(_ values: [String]) -> String { "[" + values.joined(separator: ",") + "]" }
}
