/// A visit to a page of the company's website (first-party intent).
public struct PageView: Sendable, Hashable {
    public var eventID: String
    public var occurredAt: EventTime
    public var visitorID: String
    public var url: String
    /// Set by upstream visitor identification (reverse-IP, cookie match).
    public var accountDomain: String?
    public var ip: String?
    public var referrer: String?
    public var title: String?
    public var engagedMilliseconds: Int64?
    /// The visitor's email when they are known.
    public var email: String?

    public init(
        eventID: String, occurredAt: EventTime, visitorID: String, url: String, accountDomain: String? = nil, ip: String? = nil,
        referrer: String? = nil, title: String? = nil, engagedMilliseconds: Int64? = nil, email: String? = nil
    ) {
        self.eventID = eventID
        self.occurredAt = occurredAt
        self.visitorID = visitorID
        self.url = url
        self.accountDomain = accountDomain
        self.ip = ip
        self.referrer = referrer
        self.title = title
        self.engagedMilliseconds = engagedMilliseconds
        self.email = email
    }
}

/// A per-topic research score from a third-party intent provider (0–100, 50 = normal).
public struct IntentSurge: Sendable, Hashable {
    public var eventID: String
    public var occurredAt: EventTime
    public var accountDomain: String
    public var topic: String
    public var score: Double
    public var provider: String?

    public init(eventID: String, occurredAt: EventTime, accountDomain: String, topic: String, score: Double, provider: String? = nil) {
        self.eventID = eventID
        self.occurredAt = occurredAt
        self.accountDomain = accountDomain
        self.topic = topic
        self.score = score
        self.provider = provider
    }
}

/// A form filled on the company's website: a person identifies themselves.
public struct FormSubmission: Sendable, Hashable {
    public var eventID: String
    public var occurredAt: EventTime
    public var email: String
    public var formType: String
    public var visitorID: String?
    public var jobTitle: String?
    public var seniority: String?
    public var company: String?
    public var country: String?
    public var consent: Bool?

    public init(
        eventID: String, occurredAt: EventTime, email: String, formType: String, visitorID: String? = nil, jobTitle: String? = nil,
        seniority: String? = nil, company: String? = nil, country: String? = nil, consent: Bool? = nil
    ) {
        self.eventID = eventID
        self.occurredAt = occurredAt
        self.email = email
        self.formType = formType
        self.visitorID = visitorID
        self.jobTitle = jobTitle
        self.seniority = seniority
        self.company = company
        self.country = country
        self.consent = consent
    }
}

/// A buyer signal, as decoded from one input message.
public enum InputEvent: Sendable, Hashable {
    case pageView(PageView)
    case intentSurge(IntentSurge)
    case formSubmission(FormSubmission)

    public var eventID: String {
        switch self {
        case .pageView(let event): event.eventID
        case .intentSurge(let event): event.eventID
        case .formSubmission(let event): event.eventID
        }
    }

    public var occurredAt: EventTime {
        switch self {
        case .pageView(let event): event.occurredAt
        case .intentSurge(let event): event.occurredAt
        case .formSubmission(let event): event.occurredAt
        }
    }

    /// The `type` value of the event's schema.
    public var typeName: String {
        switch self {
        case .pageView: "page_view"
        case .intentSurge: "intent_surge"
        case .formSubmission: "form_submission"
        }
    }
}

/// Firmographics and ownership of one account, as a CRM export gives them.
public struct AccountRecord: Sendable, Hashable, Codable {
    public enum Lifecycle: String, Sendable, Hashable, Codable, CaseIterable {
        case prospect, openOpportunity = "open_opportunity", customer
    }

    public var accountID: String
    public var domains: [String]
    public var name: String
    public var industry: String
    public var employees: Int
    public var annualRevenue: Double
    /// ISO 3166-1 alpha-2, upper case.
    public var country: String
    public var technologies: [String]
    public var ownerID: String?
    public var lifecycle: Lifecycle?

    public init(
        accountID: String, domains: [String], name: String, industry: String, employees: Int, annualRevenue: Double,
        country: String, technologies: [String], ownerID: String? = nil, lifecycle: Lifecycle? = nil
    ) {
        self.accountID = accountID
        self.domains = domains
        self.name = name
        self.industry = industry
        self.employees = employees
        self.annualRevenue = annualRevenue
        self.country = country
        self.technologies = technologies
        self.ownerID = ownerID
        self.lifecycle = lifecycle
    }
}
