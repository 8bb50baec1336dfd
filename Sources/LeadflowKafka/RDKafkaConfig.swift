import CRdKafka

/// Builds an `rd_kafka_conf_t` from property pairs, collecting every rejected property
/// into one error that names them (and never shows a secret's value).
enum RDKafkaConfig {
    /// The error's code is `unknownProperty` when any name is unknown, else `invalidConfiguration`.
    static func make(_ properties: [(String, String)]) throws(KafkaError) -> OpaquePointer {
        let conf = rd_kafka_conf_new()!
        var problems: [String] = []
        var firstCode: KafkaError.Code?
        var errorText = [CChar](repeating: 0, count: 512)
        for (name, value) in properties {
            let result = rd_kafka_conf_set(conf, name, value, &errorText, errorText.count)
            switch result {
            case RD_KAFKA_CONF_OK:
                continue
            case RD_KAFKA_CONF_UNKNOWN:
                problems.append("unknown property '\(name)'")
                firstCode = .unknownProperty
            default:
                let detail = KafkaClientConfiguration.isSecret(name)
                    ? "value rejected (not shown: secret)" : String(cChars: errorText)
                problems.append("invalid value for property '\(name)': \(detail)")
                firstCode = firstCode ?? .invalidConfiguration
            }
        }
        if let firstCode {
            rd_kafka_conf_destroy(conf)
            throw KafkaError(code: firstCode, message: "Kafka configuration rejected: " + problems.joined(separator: "; "))
        }
        return conf
    }
}
