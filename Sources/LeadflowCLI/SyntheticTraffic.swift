import LeadflowEngine

/// Realistic synthetic buyer signals and reference data, deterministic from a seed: shared by
/// `leadflow bench` and `leadflow demo`.
struct SyntheticTraffic {
    static let industries = [
        "software", "saas", "fintech", "ecommerce", "manufacturing", "retail", "education", "government", "logistics", "media",
        "construction", "hospitality", "legal", "energy", "agriculture", "insurance", "telecom", "automotive",
    ]
    static let countries = ["US", "US", "CA", "GB", "DE", "FR", "NL", "SE", "AU", "BR", "IN", "JP", "SG", "MX", "ZA", "AE", "PL", "ES"]
    static let technologies = ["snowflake", "salesforce", "hubspot", "segment", "dbt", "databricks", "marketo", "zendesk", "shopify", "aws"]
    static let pages = [
        "/", "/pricing", "/plans/enterprise", "/demo", "/customers/acme", "/case-studies/retail", "/integrations/snowflake",
        "/docs/getting-started", "/docs/api", "/product/routing", "/solutions/revops", "/features/scoring", "/blog/intent-data",
        "/blog/lead-scoring-101", "/blog/speed-to-lead", "/careers", "/about", "/legal/privacy",
    ]
    /// Form types by how often they occur (newsletters are common, demo requests rare).
    static let forms: [(String, Int)] = [
        ("newsletter", 30), ("content_download", 25), ("webinar_registration", 15), ("webinar_attended", 10),
        ("trial_signup", 8), ("pricing_inquiry", 5), ("demo_request", 5), ("contact_sales", 2),
    ]
    static let topics = ["revenue operations", "lead routing", "intent data", "data warehouse", "customer data platform", "sales engagement"]
    static let seniorities = ["c_level", "vp", "director", "manager", "individual_contributor", "individual_contributor", "student"]

    var random: SplitMix

    init(seed: UInt64) { random = SplitMix(state: seed) }

    mutating func weightedForm() -> String {
        var roll = random.below(100)
        for (form, weight) in Self.forms {
            if roll < weight { return form }
            roll -= weight
        }
        return Self.forms[0].0
    }

    static func domain(_ index: Int) -> String { "acct\(index).example" }

    /// Reference records for accounts 0..<count, across industries, sizes and regions.
    mutating func accounts(count: Int, owners: Int = 40) -> [AccountRecord] {
        (0..<count).map { index in
            let employees = [15, 60, 150, 400, 900, 2_500, 8_000, 30_000][random.below(8)]
            return AccountRecord(
                accountID: Self.accountID(index), domains: [Self.domain(index)], name: "Account \(index)",
                industry: Self.industries[random.below(Self.industries.count)], employees: employees,
                annualRevenue: Double(employees) * Double(80_000 + random.below(200_000)),
                country: Self.countries[random.below(Self.countries.count)],
                technologies: (0..<random.below(3)).map { _ in Self.technologies[random.below(Self.technologies.count)] },
                ownerID: random.below(5) == 0 ? "owner-\(random.below(owners))" : nil,
                lifecycle: [AccountRecord.Lifecycle.prospect, .prospect, .prospect, .customer, .openOpportunity][random.below(5)])
        }
    }

    /// An account index drawn with a heavy skew: a few accounts are very active, most are quiet.
    mutating func activeAccount(count: Int) -> Int {
        let unit = Double(random.next() >> 11) / 9_007_199_254_740_992
        return min(count - 1, Int(unit * unit * unit * Double(count)))
    }

    /// One event as JSON bytes: 86% page views, 10% intent scores, 4% forms.
    mutating func event(index: Int, account: Int, at milliseconds: Int64) -> String {
        let domain = Self.domain(account)
        let roll = random.below(100)
        if roll < 86 {
            let page = Self.pages[random.below(Self.pages.count)]
            return #"{"type":"page_view","event_id":"pv-\#(index)","occurred_at":\#(milliseconds),"visitor_id":"v-\#(account)-\#(random.below(4))","url":"https://leadflow.example\#(page)","account_domain":"\#(domain)","engaged_ms":\#(random.below(90_000))}"#
        } else if roll < 96 {
            let topic = Self.topics[random.below(Self.topics.count)]
            // Most accounts research at their usual level (around 50); one in fifty is surging.
            let score = account % 50 == 7 ? 62 + random.below(30) : 40 + random.below(18)
            return #"{"type":"intent_surge","event_id":"is-\#(index)","occurred_at":\#(milliseconds),"account_domain":"\#(domain)","topic":"\#(topic)","score":\#(score),"provider":"intentco"}"#
        } else {
            let form = weightedForm()
            let seniority = Self.seniorities[random.below(Self.seniorities.count)]
            return #"{"type":"form_submission","event_id":"fs-\#(index)","occurred_at":\#(milliseconds),"email":"p\#(random.below(6))@\#(domain)","form_type":"\#(form)","seniority":"\#(seniority)","visitor_id":"v-\#(account)-\#(random.below(4))"}"#
        }
    }
}

/// SplitMix64: a small, fast, seedable generator.
struct SplitMix {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}

extension SyntheticTraffic {
    /// `acc-000042`
    static func accountID(_ index: Int) -> String {
        let digits = String(index)
        return "acc-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }
}
