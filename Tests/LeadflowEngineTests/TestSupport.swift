import Foundation
import LeadflowEngine

/// Paths of files in the repository, found from this source file.
enum Repository {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    static func text(_ relative: String) throws -> String { try String(contentsOfFile: path(relative), encoding: .utf8) }
}

/// Builders for events in tests, with times as RFC 3339 strings.
enum Events {
    static func time(_ text: String) -> EventTime { RFC3339.parse(text)! }

    static func pageView(_ id: String, _ at: String, domain: String?, url: String, visitor: String = "v-1", email: String? = nil, ip: String? = nil) -> InputEvent {
        .pageView(PageView(eventID: id, occurredAt: time(at), visitorID: visitor, url: url, accountDomain: domain, ip: ip, email: email))
    }

    static func intent(_ id: String, _ at: String, domain: String, topic: String, score: Double) -> InputEvent {
        .intentSurge(IntentSurge(eventID: id, occurredAt: time(at), accountDomain: domain, topic: topic, score: score))
    }

    static func form(_ id: String, _ at: String, email: String, type: String, visitor: String? = nil, seniority: String? = nil, title: String? = nil) -> InputEvent {
        .formSubmission(FormSubmission(eventID: id, occurredAt: time(at), email: email, formType: type, visitorID: visitor, jobTitle: title, seniority: seniority))
    }
}

extension AccountRecord {
    /// An account whose default-model fit is exactly `fit` for the values used in tests.
    static func sample(
        _ id: String, domain: String, industry: String = "software", employees: Int = 800, revenue: Double = 50_000_000,
        country: String = "US", technologies: [String] = ["snowflake"], owner: String? = nil, lifecycle: Lifecycle? = .prospect
    ) -> AccountRecord {
        AccountRecord(
            accountID: id, domains: [domain], name: id, industry: industry, employees: employees, annualRevenue: revenue,
            country: country, technologies: technologies, ownerID: owner, lifecycle: lifecycle)
    }
}

extension Engine {
    /// Applies events in order (no clock checks) and returns every output.
    mutating func run(_ events: [InputEvent]) -> [EngineOutput] {
        events.flatMap { apply($0, clock: nil).outputs }
    }
}

extension Array where Element == EngineOutput {
    var decisions: [RoutingDecision] {
        compactMap { if case .routingDecision(let decision) = $0 { decision } else { nil } }
    }
    var surgeTriggers: [SurgeTrigger] {
        compactMap { if case .surgeTrigger(let trigger) = $0 { trigger } else { nil } }
    }
}
