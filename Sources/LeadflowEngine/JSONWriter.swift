/// Writes one JSON object with fields in the order given: outputs are a contract, and a fixed
/// field order plus fixed number formatting makes them byte-identical across runs.
public struct JSONWriter {
    /// UTF-8 bytes, turned into a string once at `finish`: appending to a `String` piece by
    /// piece checked its storage and capacity on every append, which made rendering a routing
    /// decision cost about as much as applying a dozen events.
    private var bytes: [UInt8] = []
    private var first = true

    public init() {
        bytes.reserveCapacity(512)
        bytes.append(UInt8(ascii: "{"))
    }

    private mutating func key(_ name: String) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        first = false
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: name.utf8)
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    public mutating func field(_ name: String, _ value: String) {
        key(name)
        JSONWriter.appendString(value, to: &bytes)
    }

    public mutating func field(_ name: String, _ value: String?) {
        key(name)
        if let value { JSONWriter.appendString(value, to: &bytes) } else { bytes.append(contentsOf: "null".utf8) }
    }

    public mutating func field(_ name: String, _ value: Int) {
        key(name)
        bytes.append(contentsOf: String(value).utf8)
    }

    public mutating func field(_ name: String, _ value: Bool) {
        key(name)
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    /// Numbers are rounded to 2 decimals (points) or written as given.
    public mutating func field(_ name: String, points value: Double) {
        key(name)
        bytes.append(contentsOf: JSONWriter.format(points: value).utf8)
    }

    public mutating func field(_ name: String, strings: [String]) {
        key(name)
        bytes.append(UInt8(ascii: "["))
        for (index, value) in strings.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            JSONWriter.appendString(value, to: &bytes)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// A nested object written in place by `body`: rendering it apart and copying it in made
    /// a routing decision build (and check the UTF-8 of) one string per nested object.
    public mutating func object(_ name: String, _ body: (inout JSONWriter) -> Void) {
        key(name)
        appendObject(body)
    }

    /// An array of objects, each written in place by `body`.
    public mutating func objects<Items: Sequence>(_ name: String, _ items: Items, _ body: (inout JSONWriter, Items.Element) -> Void) {
        key(name)
        bytes.append(UInt8(ascii: "["))
        var firstItem = true
        for item in items {
            if !firstItem { bytes.append(UInt8(ascii: ",")) }
            firstItem = false
            appendObject { body(&$0, item) }
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// Hands the buffer to a writer of one nested object and takes it back, closed.
    private mutating func appendObject(_ body: (inout JSONWriter) -> Void) {
        var nested = JSONWriter(continuing: &bytes)
        body(&nested)
        nested.bytes.append(UInt8(ascii: "}"))
        swap(&bytes, &nested.bytes)
    }

    /// A writer that takes over `bytes` (leaving it empty) and opens an object there.
    private init(continuing bytes: inout [UInt8]) {
        swap(&self.bytes, &bytes)
        self.bytes.append(UInt8(ascii: "{"))
    }

    /// A nested object or array already rendered as JSON.
    public mutating func field(_ name: String, raw: String) {
        key(name)
        bytes.append(contentsOf: raw.utf8)
    }

    public mutating func finish() -> String {
        bytes.append(UInt8(ascii: "}"))
        return String(decoding: bytes, as: UTF8.self)
    }

    public static func format(points value: Double) -> String {
        let rounded = (value * 100).rounded() / 100
        if rounded == rounded.rounded(), abs(rounded) < 1e15 { return String(Int64(rounded)) }
        return String(rounded)
    }

    /// `value` as a JSON string literal, escaped where JSON requires it.
    static func appendString(_ value: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        // Ids, domains and reasons almost never need escaping: then the string goes in whole.
        if !value.utf8.contains(where: { $0 == 0x22 || $0 == 0x5C || $0 < 0x20 }) {
            bytes.append(contentsOf: value.utf8)
        } else {
            for scalar in value.unicodeScalars {
                switch scalar {
                case "\"": bytes.append(contentsOf: #"\""#.utf8)
                case "\\": bytes.append(contentsOf: #"\\"#.utf8)
                case "\n": bytes.append(contentsOf: #"\n"#.utf8)
                case "\r": bytes.append(contentsOf: #"\r"#.utf8)
                case "\t": bytes.append(contentsOf: #"\t"#.utf8)
                case _ where scalar.value < 0x20:
                    let hex = String(scalar.value, radix: 16)
                    bytes.append(contentsOf: (#"\u"# + String(repeating: "0", count: 4 - hex.count) + hex).utf8)
                default: UTF8.encode(scalar) { bytes.append($0) }
                }
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    public static func appendString(_ value: String, to text: inout String) {
        var bytes: [UInt8] = []
        appendString(value, to: &bytes)
        text += String(decoding: bytes, as: UTF8.self)
    }

    /// An array of rendered JSON values.
    public static func array(_ values: [String]) -> String { "[" + values.joined(separator: ",") + "]" }
}
