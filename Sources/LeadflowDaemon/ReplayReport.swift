import Foundation
import LeadflowEngine
import LeadflowKafka

/// What a replay read and what it produced (or would have: a dry run publishes nothing).
public struct ReplayReport: Sendable {
    public var startOffsets: [KafkaPartition: Int64] = [:]
    public var endOffsets: [KafkaPartition: Int64] = [:]
    public var eventsByType: [String: Int] = [:]
    public var decisionsByBand: [String: Int] = [:]
    public var decisionsByAssignee: [String: Int] = [:]
    /// `topic (source, kind)` → count, e.g. `crm (third_party, surge_started)`.
    public var surgesByTopic: [String: Int] = [:]
    public var deadLettersByReason: [String: Int] = [:]
    public var records = 0
    /// Account-reference topic records applied along the way (not counted in `records`).
    public var referenceRecords = 0
    public var outputs = 0
    public var accountsInState = 0
    public var seconds = 0.0
    public var snapshotsWritten: [String] = []
    public var whatIf: WhatIfReport?

    public init() {}

    mutating func count(_ result: Engine.Result) {
        records += 1
        eventsByType[result.eventType ?? "undecodable", default: 0] += 1
        for output in result.outputs {
            switch output {
            case .routingDecision(let decision):
                decisionsByBand[decision.band.description, default: 0] += 1
                decisionsByAssignee["\(decision.assignee.kind.rawValue):\(decision.assignee.id)", default: 0] += 1
            case .surgeTrigger(let trigger):
                surgesByTopic["\(trigger.topic) (\(trigger.source.rawValue), \(trigger.kind.rawValue))", default: 0] += 1
            }
        }
        if let rejection = result.rejection { deadLettersByReason[rejection.reason.rawValue, default: 0] += 1 }
    }

    mutating func count(_ published: [PublishedOutput]) { outputs += published.count }

    public var text: String {
        func section(_ title: String, _ counts: [String: Int]) -> [String] {
            guard !counts.isEmpty else { return ["\(title): none"] }
            return ["\(title):"] + counts.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map { "  \($0.key): \($0.value)" }
        }
        var lines = [
            String(format: "replayed %d records in %.1f s (%.0f records/s); %d outputs; %d accounts in state", records, seconds,
                   seconds > 0 ? Double(records) / seconds : 0, outputs, accountsInState),
        ]
        lines += section("events by type", eventsByType)
        lines += section("routing decisions by band", decisionsByBand)
        lines += section("routing decisions by assignee", decisionsByAssignee)
        lines += section("surge triggers by topic", surgesByTopic)
        lines += section("dead letters by reason", deadLettersByReason)
        for path in snapshotsWritten { lines.append("snapshot written: \(path)") }
        if let whatIf { lines.append(whatIf.text) }
        return lines.joined(separator: "\n")
    }

    public var json: String {
        func object(_ counts: [String: Int]) -> String {
            var writer = JSONWriter()
            for (key, value) in counts.sorted(by: { $0.key < $1.key }) { writer.field(key, value) }
            return writer.finish()
        }
        func offsets(_ map: [KafkaPartition: Int64]) -> String {
            var writer = JSONWriter()
            for (partition, offset) in map.sorted(by: { ($0.key.topic, $0.key.partition) < ($1.key.topic, $1.key.partition) }) {
                writer.field("\(partition.topic):\(partition.partition)", Int(offset))
            }
            return writer.finish()
        }
        var writer = JSONWriter()
        writer.field("records", records)
        writer.field("outputs", outputs)
        writer.field("accounts_in_state", accountsInState)
        writer.field("seconds", points: seconds)
        writer.field("start_offsets", raw: offsets(startOffsets))
        writer.field("end_offsets", raw: offsets(endOffsets))
        writer.field("events_by_type", raw: object(eventsByType))
        writer.field("decisions_by_band", raw: object(decisionsByBand))
        writer.field("decisions_by_assignee", raw: object(decisionsByAssignee))
        writer.field("surges_by_topic", raw: object(surgesByTopic))
        writer.field("dead_letters_by_reason", raw: object(deadLettersByReason))
        writer.field("snapshots_written", strings: snapshotsWritten)
        writer.field("what_if", raw: whatIf?.json ?? "null")
        return writer.finish()
    }
}
