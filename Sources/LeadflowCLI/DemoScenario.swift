import Foundation
import LeadflowConfig
import LeadflowEngine

/// The demo's world: accounts, territories and a few weeks of realistic traffic.
struct DemoScenario {
    struct Event {
        var topic: String
        var key: String
        var json: String
        var timestamp: Int64
    }

    let accountCount: Int
    let days: Int
    let eventsPerDay: Int
    var traffic = SyntheticTraffic(seed: 2026)
    static let start: Int64 = 1_793_404_800_000  // 2026-10-31T00:00:00Z

    init(accounts: Int, days: Int, eventsPerDay: Int) {
        accountCount = accounts
        self.days = days
        self.eventsPerDay = eventsPerDay
    }

    static func configuration(bootstrap: [String]) -> LeadflowConfiguration {
        var configuration = LeadflowConfiguration()
        configuration.kafka.brokers = bootstrap
        configuration.kafka.groupID = "leadflow-demo"
        // librdkafka's mock cluster answers an empty fetch only after the full wait, where a real
        // broker answers as soon as data arrives: keep the wait short on the embedded broker.
        configuration.kafka.properties["fetch.wait.max.ms"] = "10"
        configuration.snapshots.everySeconds = 5
        configuration.model.fit.competitorDomains = ["rivalflow.example", "leadrival.example"]
        configuration.model.routing.territories = [
            .init(name: "na-enterprise", countries: ["US", "CA"], minEmployees: 1_000, maxEmployees: 10_000_000, team: "na-enterprise"),
            .init(name: "na-commercial", countries: ["US", "CA"], minEmployees: 0, maxEmployees: 999, team: "na-commercial"),
            .init(name: "emea", countries: ["GB", "DE", "FR", "NL", "SE"], minEmployees: 0, maxEmployees: 10_000_000, team: "emea"),
            .init(name: "apac", countries: ["AU", "SG", "JP", "IN"], minEmployees: 0, maxEmployees: 10_000_000, team: "apac"),
        ]
        configuration.model.routing.teams = [
            "na-enterprise": [.init(id: "rep-ava", capacity: 3), .init(id: "rep-ben", capacity: 2)],
            "na-commercial": [.init(id: "rep-cai", capacity: 2), .init(id: "rep-dee", capacity: 2), .init(id: "rep-eli", capacity: 1)],
            "emea": [.init(id: "rep-fay", capacity: 2), .init(id: "rep-gus", capacity: 2)],
            "apac": [.init(id: "rep-hana", capacity: 1)],
        ]
        return configuration
    }

    mutating func records() -> [AccountRecord] { traffic.accounts(count: accountCount) }

    /// Background noise for every day, plus scripted stories, in time order.
    mutating func events() -> [Event] {
        var events: [Event] = []
        let day: Int64 = 86_400_000
        var index = 0
        func add(_ json: String, domain: String, at: Int64) {
            let type = json.contains("\"page_view\"") ? "page-views" : json.contains("\"intent_surge\"") ? "intent-surges" : "form-submissions"
            events.append(Event(topic: type, key: domain, json: json, timestamp: at))
        }
        for dayIndex in 0..<days {
            for _ in 0..<eventsPerDay {
                let account = traffic.activeAccount(count: accountCount)
                let at = Self.start + Int64(dayIndex) * day + Int64(traffic.random.below(Int(day)))
                index += 1
                add(traffic.event(index: index, account: account, at: at), domain: SyntheticTraffic.domain(account), at: at)
            }
            // Warming accounts: a handful per day research seriously and cross the MQL line.
            for story in 0..<3 {
                let account = (dayIndex * 7 + story * 131) % accountCount
                let domain = SyntheticTraffic.domain(account)
                for (step, page) in ["/pricing", "/customers/acme", "/integrations/snowflake", "/demo", "/pricing"].enumerated() {
                    let at = Self.start + Int64(dayIndex) * day + Int64(step) * 600_000 + 36_000_000
                    index += 1
                    add(#"{"type":"page_view","event_id":"warm-\#(index)","occurred_at":\#(at),"visitor_id":"w-\#(account)","url":"https://leadflow.example\#(page)","account_domain":"\#(domain)"}"#, domain: domain, at: at)
                }
            }
            // Competitors poke around; they are tracked but never routed.
            let at = Self.start + Int64(dayIndex) * day + 40_000_000
            index += 1
            add(#"{"type":"form_submission","event_id":"rival-\#(index)","occurred_at":\#(at),"email":"analyst@rivalflow.example","form_type":"demo_request"}"#, domain: "rivalflow.example", at: at)
            // Free-mail visitors browse anonymously, then identify with a work address days later.
            let visitor = "anon-\(dayIndex)"
            let target = (dayIndex * 17 + 5) % accountCount
            for (step, page) in ["/pricing", "/docs/api", "/pricing"].enumerated() {
                let viewAt = Self.start + Int64(dayIndex) * day + Int64(step) * 300_000 + 20_000_000
                index += 1
                add(#"{"type":"page_view","event_id":"anon-\#(index)","occurred_at":\#(viewAt),"visitor_id":"\#(visitor)","url":"https://leadflow.example\#(page)"}"#, domain: visitor, at: viewAt)
            }
            let gmailAt = Self.start + Int64(dayIndex) * day + 22_000_000
            index += 1
            add(#"{"type":"form_submission","event_id":"gm-\#(index)","occurred_at":\#(gmailAt),"email":"someone.\#(dayIndex)@gmail.com","form_type":"newsletter","visitor_id":"\#(visitor)"}"#, domain: visitor, at: gmailAt)
            let identifyAt = gmailAt + 2 * day
            index += 1
            add(#"{"type":"form_submission","event_id":"id-\#(index)","occurred_at":\#(identifyAt),"email":"lead\#(dayIndex)@\#(SyntheticTraffic.domain(target))","form_type":"trial_signup","visitor_id":"\#(visitor)","seniority":"director"}"#, domain: SyntheticTraffic.domain(target), at: identifyAt)
            // Some malformed input from upstream.
            index += 1
            add(#"{"type":"intent_surge","event_id":"bad-\#(index)","occurred_at":\#(at),"account_domain":"acct1.example","topic":"crm","score":140}"#, domain: "acct1.example", at: at)
        }
        return events.sorted { ($0.timestamp, $0.json) < ($1.timestamp, $1.json) }.filter { $0.timestamp < Self.start + Int64(days) * day }
    }

    /// A decision as a revenue team would read it.
    static func explain(_ decision: RoutingDecision) -> String {
        let signals = decision.scores.topSignals.prefix(4).map { "\($0.signal) \(JSONWriter.format(points: $0.points)) pts" }.joined(separator: ", ")
        return """
              ✔ \(decision.accountDomain) → \(decision.assignee.kind.rawValue) \(decision.assignee.id), \(decision.band) band, due \(decision.slaDueAt)
                why: \(decision.reason); fit \(JSONWriter.format(points: decision.scores.fit)) + engagement \(JSONWriter.format(points: decision.scores.engagement)) + contact \(JSONWriter.format(points: decision.scores.contact)) = \(JSONWriter.format(points: decision.scores.composite))
                top signals: \(signals)
            """
    }
}
