import CRdKafka
import Glibc

/// Which kind of client each librdkafka property applies to, as librdkafka itself documents it
/// (the `C/P` column of its property table: `*` both, `C` consumer, `P` producer).
///
/// One `kafka.properties` section feeds every client Leadflow makes. Handing a consumer-only
/// property such as `fetch.wait.max.ms` to a producer makes librdkafka warn at startup that it
/// will ignore it, once per producer, which reads like a misconfiguration when it is not. So
/// each client gets only the properties that apply to its kind. Names librdkafka does not list
/// are passed on, so an unknown property still fails client creation with an error naming it.
enum KafkaPropertyScope {
    /// Scopes by property name, read once from the linked librdkafka.
    static let byName: [String: Set<Character>] = readTable()

    /// Whether `name` may be given to a client of `kind`.
    static func applies(_ name: String, to kind: RDKafkaClient.Kind) -> Bool {
        guard let scopes = byName[name] else { return true }
        switch kind {
        case .consumer: return scopes.contains("*") || scopes.contains("C")
        case .producer: return scopes.contains("*") || scopes.contains("P")
        }
    }

    /// Parses the table `rd_kafka_conf_properties_show` prints (global and topic properties):
    /// rows `name | C/P | range | default | importance | description`.
    static func parse(_ table: String) -> [String: Set<Character>] {
        var scopes: [String: Set<Character>] = [:]
        for line in table.split(separator: "\n") {
            let columns = line.split(separator: "|", maxSplits: 2, omittingEmptySubsequences: false)
            guard columns.count == 3 else { continue }
            let name = columns[0].trimmingSpaces
            let scope = columns[1].trimmingSpaces
            guard scope.count == 1, let mark = scope.first, "*CP".contains(mark), !name.isEmpty, name != "Property" else { continue }
            scopes[name, default: []].insert(mark)
        }
        return scopes
    }

    private static func readTable() -> [String: Set<Character>] {
        var buffer: UnsafeMutablePointer<CChar>?
        var size = 0
        guard let stream = open_memstream(&buffer, &size) else { return [:] }
        rd_kafka_conf_properties_show(stream)
        fclose(stream)
        defer { free(buffer) }
        guard let buffer else { return [:] }
        return parse(String(cString: buffer))
    }
}

extension Substring {
    fileprivate var trimmingSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
