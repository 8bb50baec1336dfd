import LeadflowEngine
import Yams

// How each part of the scoring model is read from YAML, with the checks that keep its numbers
// meaningful. Keys are the snake_case names documented in deploy/leadflow.example.yaml.

extension ScoringModel: ConfigSection {
    mutating func readFields(_ fields: inout ConfigFields) {
        fields.read("fit", &fit)
        fields.read("contact", &contact)
        fields.read("engagement", &engagement)
        fields.read("committee", &committee)
        fields.read("bands", &bands)
        fields.read("surges", &surges)
        fields.read("routing", &routing)
        fields.read("identity", &identity)
        fields.read("input", &input)
    }
}

extension FitRules: ConfigSection {
    mutating func readFields(_ fields: inout ConfigFields) {
        fields.read("icp_industries", &icpIndustries)
        fields.read("icp_industry_points", &icpIndustryPoints)
        fields.read("excluded_industries", &excludedIndustries)
        fields.read("excluded_industry_points", &excludedIndustryPoints)
        fields.read("employee_bands", &employeeBands)
        fields.read("revenue_bands", &revenueBands)
        fields.read("icp_countries", &icpCountries)
        fields.read("icp_country_points", &icpCountryPoints)
        fields.read("complementary_technologies", &complementaryTechnologies)
        fields.read("complementary_technology_points", &complementaryTechnologyPoints)
        fields.read("technology_rules", &technologyRules)
        fields.read("competitor_domains", &competitorDomains)
        fields.read("competitor_points", &competitorPoints)
        for (index, domain) in competitorDomains.enumerated() {
            fields.check(DomainName.normalize(domain) != nil, "competitor_domains", "entry \(index) '\(domain)' is not a domain name")
        }
    }
}

extension FitRules.EmployeeBand: ConfigSection {
    init() { self.init(min: 0, max: Int.max, points: 0) }
    mutating func readFields(_ fields: inout ConfigFields) {
        fields.read("min", &min)
        fields.read("max", &max)
        fields.required("points", &points)
        fields.check(min <= max, "max", "must be at least min (\(min))")
    }
}

extension FitRules.RevenueBand: ConfigSection {
    init() { self.init(min: 0, points: 0) }
    mutating func readFields(_ fields: inout ConfigFields) {
        fields.read("min", &min)
        fields.read("max", &max)
        fields.required("points", &points)
        fields.check((max ?? .infinity) >= min, "max", "must be at least min")
    }
}

extension FitRules.TechnologyRule: ConfigSection {
    init() { self.init(technology: "", present: true, points: 0) }
    mutating func readFields(_ fields: inout ConfigFields) {
        fields.required("technology", &technology)
        fields.read("present", &present)
        fields.required("points", &points)
    }
}

extension ContactRules: ConfigSection {
    mutating func readFields(_ fields: inout ConfigFields) {
        fields.read("seniority_points", &seniorityPoints)
        fields.read("title_rules", &titleRules)
    }
}

extension ContactRules.TitleRule: ConfigSection {
    init() { self.init(contains: "", points: 0) }
    mutating func readFields(_ fields: inout ConfigFields) {
        fields.required("contains", &contains)
        fields.required("points", &points)
        fields.check(!contains.isEmpty, "contains", "must not be empty")
    }
}

extension EngagementRules: ConfigSection {
    mutating func readFields(_ fields: inout ConfigFields) {
        fields.read("page_view_half_life_days", &pageViewHalfLifeDays)
        fields.read("intent_half_life_days", &intentHalfLifeDays)
        fields.read("form_half_life_days", &formHalfLifeDays)
        fields.read("repeat_factor", &repeatFactor)
        fields.read("page_categories", &pageCategories)
        fields.read("form_points", &formPoints)
        fields.read("intent_points", &intentPoints)
        fields.read("intent_normal_score", &intentNormalScore)
        for key in ["page_view_half_life_days", "intent_half_life_days", "form_half_life_days"] {
            let value = key.hasPrefix("page") ? pageViewHalfLifeDays : key.hasPrefix("intent") ? intentHalfLifeDays : formHalfLifeDays
            fields.check(value > 0, key, "must be greater than 0, got \(value)")
        }
        fields.check((0...1).contains(repeatFactor), "repeat_factor", "must be between 0 and 1, got \(repeatFactor)")
        fields.check((0..<100).contains(intentNormalScore), "intent_normal_score", "must be from 0 to below 100")
    }
}

extension EngagementRules.PageCategory: ConfigSection {
    init() { self.init(name: "", points: 0, patterns: []) }
    mutating func readFields(_ fields: inout ConfigFields) {
        fields.required("name", &name)
        fields.required("points", &points)
        fields.required("patterns", &patterns)
        fields.check(!patterns.isEmpty, "patterns", "needs at least one URL path pattern such as /pricing*")
        fields.check(patterns.allSatisfy { $0.hasPrefix("/") || $0.hasPrefix("*") }, "patterns", "patterns match URL paths and start with / or *")
    }
}

extension CommitteeRules: ConfigSection {
    mutating func readFields(_ fields: inout ConfigFields) {
        fields.read("window_days", &windowDays)
        fields.read("bonuses", &bonuses)
        fields.read("max_people", &maxPeople)
        fields.check(windowDays > 0, "window_days", "must be greater than 0")
        fields.check(maxPeople >= 1, "max_people", "must be at least 1")
    }
}

extension CommitteeRules.Bonus: ConfigSection {
    init() { self.init(people: 2, points: 0) }
    mutating func readFields(_ fields: inout ConfigFields) {
        fields.required("people", &people)
        fields.required("points", &points)
        fields.check(people >= 2, "people", "a committee has at least 2 people")
    }
}

extension BandRules: ConfigSection {
    mutating func readFields(_ fields: inout ConfigFields) {
        fields.read("hot", &hot)
        fields.read("warm", &warm)
        fields.read("hysteresis", &hysteresis)
        fields.check(warm < hot, "warm", "must be below hot (\(hot))")
        fields.check(hysteresis >= 0, "hysteresis", "must not be negative")
    }
}

extension SurgeRules: ConfigSection {
    mutating func readFields(_ fields: inout ConfigFields) {
        fields.read("third_party", &thirdParty)
        fields.read("first_party", &firstParty)
    }
}

extension SurgeRules.ThirdParty: ConfigSection {
    mutating func readFields(_ fields: inout ConfigFields) {
        fields.read("threshold", &threshold)
        fields.read("min_lift_over_baseline", &minLiftOverBaseline)
        fields.read("baseline_half_life_days", &baselineHalfLifeDays)
        fields.read("baseline_floor", &baselineFloor)
        fields.read("end_below", &endBelow)
        fields.read("cooldown_days", &cooldownDays)
        fields.check((0...100).contains(threshold), "threshold", "must be from 0 to 100")
        fields.check(endBelow <= threshold, "end_below", "must not be above threshold (\(threshold))")
        fields.check(baselineHalfLifeDays > 0, "baseline_half_life_days", "must be greater than 0")
        fields.check(cooldownDays >= 0, "cooldown_days", "must not be negative")
    }
}

extension SurgeRules.FirstPartyTopic: ConfigSection {
    init() { self.init(name: "", patterns: []) }
    mutating func readFields(_ fields: inout ConfigFields) {
        fields.required("name", &name)
        fields.required("patterns", &patterns)
        fields.check(!patterns.isEmpty, "patterns", "needs at least one URL path pattern")
    }
}

extension SurgeRules.FirstParty: ConfigSection {
    mutating func readFields(_ fields: inout ConfigFields) {
        fields.read("topics", &topics)
        fields.read("current_half_life_days", &currentHalfLifeDays)
        fields.read("baseline_half_life_days", &baselineHalfLifeDays)
        fields.read("min_ratio", &minRatio)
        fields.read("min_current", &minCurrent)
        fields.read("baseline_floor_per_day", &baselineFloorPerDay)
        fields.read("end_ratio", &endRatio)
        fields.read("cooldown_days", &cooldownDays)
        fields.check(currentHalfLifeDays > 0, "current_half_life_days", "must be greater than 0")
        fields.check(baselineHalfLifeDays > currentHalfLifeDays, "baseline_half_life_days", "must be longer than current_half_life_days")
        fields.check(baselineFloorPerDay > 0, "baseline_floor_per_day", "must be greater than 0")
        fields.check(endRatio <= minRatio, "end_ratio", "must not be above min_ratio (\(minRatio))")
    }
}

extension RoutingRules: ConfigSection {
    mutating func readFields(_ fields: inout ConfigFields) {
        fields.read("mql_min_engagement", &mqlMinEngagement)
        fields.read("surge_min_fit", &surgeMinFit)
        fields.read("route_unmatched_surges", &routeUnmatchedSurges)
        fields.read("hand_raiser_forms", &handRaiserForms)
        fields.read("hand_raiser_sla_minutes", &handRaiserSLAMinutes)
        fields.read("hot_sla_minutes", &hotSLAMinutes)
        fields.read("warm_sla_minutes", &warmSLAMinutes)
        fields.read("cold_sla_minutes", &coldSLAMinutes)
        fields.read("reroute_window_days", &rerouteWindowDays)
        fields.read("territories", &territories)
        fields.read("teams", &teams)
        fields.read("fallback_queue", &fallbackQueue)
        fields.read("new_business_queue", &newBusinessQueue)
        fields.read("skip_lifecycles", &skipLifecycles)
        for (index, territory) in territories.enumerated() where teams[territory.team] == nil {
            fields.check(false, "territories", "territory \(index) ('\(territory.name)') names team '\(territory.team)', which is not under routing.teams")
        }
        for (team, reps) in teams.sorted(by: { $0.key < $1.key }) {
            fields.check(reps.allSatisfy { $0.capacity >= 0 }, "teams", "team '\(team)' has a negative capacity")
        }
        fields.check(!fallbackQueue.isEmpty, "fallback_queue", "must not be empty")
        for lifecycle in skipLifecycles {
            fields.check(AccountRecord.Lifecycle(rawValue: lifecycle) != nil, "skip_lifecycles", "'\(lifecycle)' is not one of prospect, open_opportunity, customer")
        }
    }
}

extension RoutingRules.Territory: ConfigSection {
    init() { self.init(name: "", countries: [], minEmployees: 0, maxEmployees: Int.max, team: "") }
    mutating func readFields(_ fields: inout ConfigFields) {
        fields.required("name", &name)
        fields.required("countries", &countries)
        fields.read("min_employees", &minEmployees)
        fields.read("max_employees", &maxEmployees)
        fields.required("team", &team)
        fields.check(minEmployees <= maxEmployees, "max_employees", "must be at least min_employees")
    }
}

extension RoutingRules.Rep: ConfigSection {
    init() { self.init(id: "", capacity: 1) }
    mutating func readFields(_ fields: inout ConfigFields) {
        fields.required("id", &id)
        fields.read("capacity", &capacity)
    }
}

extension IdentityRules.UnmatchedPolicy: ConfigReadable {
    init() { self = .track }
    static var expected: String { "track or ignore" }
    static func read(_ node: Yams.Node, at path: String, into value: inout Self, problems: inout [ConfigProblem]) {
        guard case .scalar(let scalar) = node, let policy = Self(rawValue: scalar.string) else {
            problems.append(mismatch(node, path))
            return
        }
        value = policy
    }
}

extension IdentityRules: ConfigSection {
    mutating func readFields(_ fields: inout ConfigFields) {
        fields.read("extra_free_mail_domains", &extraFreeMailDomains)
        fields.read("ip_ranges", &ipRanges)
        fields.read("unmatched_accounts", &unmatchedAccounts)
        fields.read("visitor_hold_max_events", &visitorHoldMaxEvents)
        fields.read("visitor_hold_max_age_days", &visitorHoldMaxAgeDays)
        fields.read("visitor_hold_max_visitors", &visitorHoldMaxVisitors)
        for (index, range) in ipRanges.enumerated() {
            var table = IPRangeTable()
            fields.check(table.add(cidr: range.cidr, accountID: range.accountID), "ip_ranges", "entry \(index): '\(range.cidr)' is not an IPv4 CIDR such as 203.0.113.0/24")
        }
        fields.check(visitorHoldMaxEvents >= 0, "visitor_hold_max_events", "must not be negative")
        fields.check(visitorHoldMaxVisitors >= 0, "visitor_hold_max_visitors", "must not be negative")
    }
}

extension IdentityRules.IPRange: ConfigSection {
    init() { self.init(cidr: "", accountID: "") }
    mutating func readFields(_ fields: inout ConfigFields) {
        fields.required("cidr", &cidr)
        fields.required("account_id", &accountID)
    }
}

extension InputRules: ConfigSection {
    mutating func readFields(_ fields: inout ConfigFields) {
        fields.read("max_future_skew_minutes", &maxFutureSkewMinutes)
        fields.read("state_horizon_days", &stateHorizonDays)
        fields.check(maxFutureSkewMinutes >= 0, "max_future_skew_minutes", "must not be negative")
        fields.check(stateHorizonDays > 0, "state_horizon_days", "must be greater than 0")
    }
}
