import LeadflowConfig
import LeadflowEngine
import LeadflowKafka

/// The Kafka records one input causes: its dead letter (when rejected) and the engine's
/// outputs. The live daemon and replay build them here, so a replay's records are the live
/// ones byte for byte, apart from the replay marker.
struct PublishedOutput: Sendable {
    enum Kind: Sendable { case deadLetter, routingDecision, surgeTrigger }

    var id: String
    var kind: Kind
    var message: KafkaOutgoingMessage
    /// The engine output behind it (nil for a dead letter).
    var output: EngineOutput?

    /// Dead-letter ids derive from the input's position, so a re-run produces the same id.
    static func deadLetterID(source: String) -> String { "dl_" + SHA256.hex(source, characters: 24) }

    /// `topicSuffix` and `replayed` are for replay into backfill topics: the topic names get the
    /// suffix, and every record a `leadflow-replayed: true` header (outputs also a
    /// `"replayed": true` field).
    static func records(
        for result: Engine.Result, input message: KafkaMessage, task: Int32, topics: TopicSettings, topicSuffix: String = "",
        replayed: Bool = false
    ) -> [PublishedOutput] {
        // Most inputs publish nothing: build no headers for them (this runs once per record).
        guard result.rejection != nil || !result.outputs.isEmpty else { return [] }
        var records: [PublishedOutput] = []
        let source = "\(message.topic):\(message.partition):\(message.offset)"
        var common = [KafkaHeader(name: "leadflow-task", string: String(task)), KafkaHeader(name: "leadflow-input", string: source)]
        if replayed { common.append(KafkaHeader(name: "leadflow-replayed", string: "true")) }
        if let rejection = result.rejection {
            let id = deadLetterID(source: source)
            let headers = message.headers + common + [
                KafkaHeader(name: "leadflow-id", string: id), KafkaHeader(name: "leadflow-reason", string: rejection.json),
                KafkaHeader(name: "leadflow-source", string: source),
            ]
            records.append(PublishedOutput(
                id: id, kind: .deadLetter,
                message: KafkaOutgoingMessage(topic: topics.deadLetters + topicSuffix, key: message.key, value: message.value, headers: headers),
                output: nil))
        }
        for output in result.outputs {
            let kind: Kind
            let topic: String
            switch output {
            case .routingDecision:
                kind = .routingDecision
                topic = topics.routingDecisions
            case .surgeTrigger:
                kind = .surgeTrigger
                topic = topics.surgeTriggers
            }
            records.append(PublishedOutput(
                id: output.id, kind: kind,
                message: KafkaOutgoingMessage(
                    topic: topic + topicSuffix, key: Array(output.accountID.utf8), value: Array(output.json(replayed: replayed).utf8),
                    headers: common + [KafkaHeader(name: "leadflow-id", string: output.id)]),
                output: output))
        }
        return records
    }
}
