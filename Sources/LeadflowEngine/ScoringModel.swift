/// Every number the engine uses, with the documented default model (see
/// `deploy/leadflow.example.yaml`). Codable so its canonical JSON gives the config version.
public struct ScoringModel: Sendable, Hashable, Codable {
    public var fit = FitRules()
    public var contact = ContactRules()
    public var engagement = EngagementRules()
    public var committee = CommitteeRules()
    public var bands = BandRules()
    public var surges = SurgeRules()
    public var routing = RoutingRules()
    public var identity = IdentityRules()
    public var input = InputRules()

    public init() {}
}

/// Fit (0–100, negative for disqualified accounts) from firmographics and technographics.
public struct FitRules: Sendable, Hashable, Codable {
    public init() {}
    public struct EmployeeBand: Sendable, Hashable, Codable {
        public var min: Int
        public var max: Int
        public var points: Double
        public init(min: Int, max: Int, points: Double) { self.min = min; self.max = max; self.points = points }
    }
    public struct RevenueBand: Sendable, Hashable, Codable {
        public var min: Double
        public var max: Double?
        public var points: Double
        public init(min: Double, max: Double? = nil, points: Double) { self.min = min; self.max = max; self.points = points }
    }
    public struct TechnologyRule: Sendable, Hashable, Codable {
        public var technology: String
        /// true: applies when the account uses it; false: when it does not.
        public var present: Bool
        public var points: Double
        public init(technology: String, present: Bool, points: Double) {
            self.technology = technology; self.present = present; self.points = points
        }
    }

    public var icpIndustries: [String] = ["software", "saas", "fintech", "financial services", "ecommerce", "healthtech", "cybersecurity"]
    public var icpIndustryPoints: Double = 30
    public var excludedIndustries: [String] = ["education", "government", "non-profit"]
    public var excludedIndustryPoints: Double = -20
    public var employeeBands: [EmployeeBand] = [
        EmployeeBand(min: 200, max: 5_000, points: 25), EmployeeBand(min: 50, max: 199, points: 10),
        EmployeeBand(min: 5_001, max: 20_000, points: 10),
    ]
    public var revenueBands: [RevenueBand] = [RevenueBand(min: 20_000_000, points: 15)]
    public var icpCountries: [String] = ["US", "CA", "GB", "IE", "DE", "FR", "NL", "SE", "DK", "NO", "FI", "AU", "NZ"]
    public var icpCountryPoints: Double = 15
    public var complementaryTechnologies: [String] = ["snowflake", "salesforce", "hubspot", "segment", "dbt", "databricks"]
    public var complementaryTechnologyPoints: Double = 15
    public var technologyRules: [TechnologyRule] = []
    /// Competitors are tracked but never routed; their fit is this.
    public var competitorDomains: [String] = []
    public var competitorPoints: Double = -100
}

/// Points for the person behind a signal (seniority and job title).
public struct ContactRules: Sendable, Hashable, Codable {
    public init() {}
    public struct TitleRule: Sendable, Hashable, Codable {
        /// Case-insensitive substring of the job title.
        public var contains: String
        public var points: Double
        public init(contains: String, points: Double) { self.contains = contains; self.points = points }
    }
    public var seniorityPoints: [String: Double] = [
        "c_level": 20, "vp": 20, "director": 20, "manager": 5, "individual_contributor": 0, "student": -30,
    ]
    public var titleRules: [TitleRule] = [
        TitleRule(contains: "student", points: -30), TitleRule(contains: "intern", points: -20),
        TitleRule(contains: "recruit", points: -20), TitleRule(contains: "job seeker", points: -30),
    ]
}

/// Points per signal, decayed in event time, with diminishing returns for repeats.
public struct EngagementRules: Sendable, Hashable, Codable {
    public init() {}
    public struct PageCategory: Sendable, Hashable, Codable {
        public var name: String
        public var points: Double
        /// Glob patterns (`*` matches anything) over the URL path, e.g. `/pricing*`.
        public var patterns: [String]
        public init(name: String, points: Double, patterns: [String]) { self.name = name; self.points = points; self.patterns = patterns }
    }

    public var pageViewHalfLifeDays: Double = 7
    public var intentHalfLifeDays: Double = 14
    public var formHalfLifeDays: Double = 30
    /// Each further repeat of the same signal is worth this fraction of the previous one.
    public var repeatFactor: Double = 0.5
    public var pageCategories: [PageCategory] = [
        PageCategory(name: "pricing", points: 15, patterns: ["/pricing*", "/plans*"]),
        PageCategory(name: "demo", points: 10, patterns: ["/demo*", "/contact-sales*"]),
        PageCategory(name: "case_study", points: 5, patterns: ["/customers/*", "/case-studies/*"]),
        PageCategory(name: "integrations", points: 4, patterns: ["/integrations*"]),
        PageCategory(name: "docs", points: 3, patterns: ["/docs*"]),
        PageCategory(name: "product", points: 2, patterns: ["/product*", "/solutions/*", "/features*"]),
        PageCategory(name: "blog", points: 1, patterns: ["/blog*"]),
        PageCategory(name: "careers", points: 0, patterns: ["/careers*", "/jobs*"]),
        PageCategory(name: "home", points: 1, patterns: ["/"]),
    ]
    public var formPoints: [String: Double] = [
        "demo_request": 30, "pricing_inquiry": 25, "contact_sales": 25, "trial_signup": 20, "webinar_attended": 10,
        "content_download": 8, "webinar_registration": 5, "newsletter": 2,
    ]
    /// Points of a third-party topic at score 100; a score at `intentNormalScore` or below counts 0.
    public var intentPoints: Double = 20
    public var intentNormalScore: Double = 50
}

/// Several people engaging from one account is a stronger signal than one person engaging a lot.
public struct CommitteeRules: Sendable, Hashable, Codable {
    public init() {}
    public struct Bonus: Sendable, Hashable, Codable {
        public var people: Int
        public var points: Double
        public init(people: Int, points: Double) { self.people = people; self.points = points }
    }
    public var windowDays: Double = 30
    /// The highest bonus whose `people` is reached applies.
    public var bonuses: [Bonus] = [Bonus(people: 2, points: 5), Bonus(people: 3, points: 15)]
    /// People remembered per account (the most recently seen are kept).
    public var maxPeople: Int = 8
}

/// Composite bands; the MQL threshold is the hot threshold.
public struct BandRules: Sendable, Hashable, Codable {
    public init() {}
    public var hot: Double = 100
    public var warm: Double = 60
    /// A band is left only when the composite falls this far below its threshold.
    public var hysteresis: Double = 10
}

public struct SurgeRules: Sendable, Hashable, Codable {
    public init() {}
    public struct ThirdParty: Sendable, Hashable, Codable {
        public init() {}
        /// A topic score at or above this may start a surge…
        public var threshold: Double = 60
        /// …when it is also this many points above the account's own baseline for the topic.
        public var minLiftOverBaseline: Double = 10
        public var baselineHalfLifeDays: Double = 28
        /// The baseline never counts lower than this (50 is "normal" on provider scales).
        public var baselineFloor: Double = 50
        /// A surge ends when the score falls below this.
        public var endBelow: Double = 55
        public var cooldownDays: Double = 7
    }
    public struct FirstPartyTopic: Sendable, Hashable, Codable {
        public var name: String
        public var patterns: [String]
        public init(name: String, patterns: [String]) { self.name = name; self.patterns = patterns }
    }
    public struct FirstParty: Sendable, Hashable, Codable {
        public init() {}
        public var topics: [FirstPartyTopic] = [
            FirstPartyTopic(name: "pricing", patterns: ["/pricing*", "/plans*"]),
            FirstPartyTopic(name: "integrations", patterns: ["/integrations*", "/docs/integrations*"]),
        ]
        /// "Recent activity": views decayed with this half-life.
        public var currentHalfLifeDays: Double = 1
        public var baselineHalfLifeDays: Double = 28
        /// Recent daily rate over baseline daily rate needed to start a surge.
        public var minRatio: Double = 3
        /// Recent (decayed) views needed to start a surge.
        public var minCurrent: Double = 4
        /// The baseline daily rate never counts lower than this.
        public var baselineFloorPerDay: Double = 0.2
        /// A surge ends when the ratio falls below this.
        public var endRatio: Double = 1.5
        public var cooldownDays: Double = 7
    }
    public var thirdParty = ThirdParty()
    public var firstParty = FirstParty()
}

public struct RoutingRules: Sendable, Hashable, Codable {
    public init() {}
    public struct Territory: Sendable, Hashable, Codable {
        public var name: String
        public var countries: [String]
        public var minEmployees: Int
        public var maxEmployees: Int
        public var team: String
        public init(name: String, countries: [String], minEmployees: Int, maxEmployees: Int, team: String) {
            self.name = name; self.countries = countries; self.minEmployees = minEmployees; self.maxEmployees = maxEmployees
            self.team = team
        }
    }
    public struct Rep: Sendable, Hashable, Codable {
        public var id: String
        /// Relative share of the team's accounts.
        public var capacity: Double
        public init(id: String, capacity: Double) { self.id = id; self.capacity = capacity }
    }

    /// An MQL also needs this much engagement, so a perfect fit with one blog view is not routed.
    public var mqlMinEngagement: Double = 10
    /// A surge routes an account only when its fit is at least this.
    public var surgeMinFit: Double = 50
    /// Surges on accounts without a reference record route to the new-business queue.
    public var routeUnmatchedSurges = true
    /// Forms that route the account at once (hand-raisers).
    public var handRaiserForms: [String] = ["demo_request", "pricing_inquiry", "contact_sales"]
    public var handRaiserSLAMinutes: Double = 15
    public var hotSLAMinutes: Double = 60
    public var warmSLAMinutes: Double = 1_440
    public var coldSLAMinutes: Double = 4_320
    /// An account is not routed again within this window unless its band rises.
    public var rerouteWindowDays: Double = 14
    public var territories: [Territory] = []
    public var teams: [String: [Rep]] = [:]
    public var fallbackQueue = "sdr-inbound"
    public var newBusinessQueue = "new-business"
    /// Accounts in these lifecycle stages are already worked by sales and are not routed.
    public var skipLifecycles: [String] = ["open_opportunity"]
}

public struct IdentityRules: Sendable, Hashable, Codable {
    public init() {}
    public enum UnmatchedPolicy: String, Sendable, Hashable, Codable { case track, ignore }
    public struct IPRange: Sendable, Hashable, Codable {
        public var cidr: String
        public var accountID: String
        public init(cidr: String, accountID: String) { self.cidr = cidr; self.accountID = accountID }
    }
    public var extraFreeMailDomains: [String] = []
    public var ipRanges: [IPRange] = []
    public var unmatchedAccounts: UnmatchedPolicy = .track
    public var visitorHoldMaxEvents: Int = 50
    public var visitorHoldMaxAgeDays: Double = 30
    public var visitorHoldMaxVisitors: Int = 100_000
}

public struct InputRules: Sendable, Hashable, Codable {
    public init() {}
    /// Events stamped further than this past the caller's clock reading are rejected.
    public var maxFutureSkewMinutes: Double = 60
    /// Events older than this before the caller's clock reading are rejected.
    public var stateHorizonDays: Double = 365
}
