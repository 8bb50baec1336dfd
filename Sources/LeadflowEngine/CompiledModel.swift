import Foundation

/// A `ScoringModel` prepared for the hot path: lower-cased sets, parsed patterns and half-lives,
/// plus the config version (a hash of the model's canonical JSON) stamped on every output.
public struct CompiledModel: Sendable {
    public let model: ScoringModel
    /// First 16 hex digits of SHA-256 over the model's canonical JSON.
    public let version: String

    let icpIndustries: Set<String>
    let excludedIndustries: Set<String>
    let icpCountries: Set<String>
    let complementaryTechnologies: Set<String>
    let competitorDomains: Set<String>
    let freeMailDomains: Set<String>
    let ipRanges: IPRangeTable
    let pageCategories: [(name: String, points: Double, patterns: [URLPattern])]
    let firstPartyTopics: [(name: String, patterns: [URLPattern])]
    let handRaiserForms: Set<String>
    let skipLifecycles: Set<String>
    let pageHalfLife: HalfLife
    let intentHalfLife: HalfLife
    let formHalfLife: HalfLife
    let committeeWindow: EventDuration
    let surgeCurrentHalfLife: HalfLife
    let surgeBaselineHalfLife: HalfLife
    let intentBaselineHalfLife: HalfLife

    public init(_ model: ScoringModel) {
        self.model = model
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let canonical = (try? encoder.encode(model)).map { String(decoding: $0, as: UTF8.self) } ?? "\(model)"
        version = SHA256.hex(canonical, characters: 16)
        func lowered(_ values: [String]) -> Set<String> { Set(values.map { $0.lowercased() }) }
        icpIndustries = lowered(model.fit.icpIndustries)
        excludedIndustries = lowered(model.fit.excludedIndustries)
        icpCountries = Set(model.fit.icpCountries.map { $0.uppercased() })
        complementaryTechnologies = lowered(model.fit.complementaryTechnologies)
        competitorDomains = Set(model.fit.competitorDomains.compactMap(DomainName.normalize))
        freeMailDomains = FreeMailDomains.shipped.union(model.identity.extraFreeMailDomains.map { $0.lowercased() })
        var table = IPRangeTable()
        for range in model.identity.ipRanges { table.add(cidr: range.cidr, accountID: range.accountID) }
        ipRanges = table
        pageCategories = model.engagement.pageCategories.map { ($0.name, $0.points, $0.patterns.map(URLPattern.init)) }
        firstPartyTopics = model.surges.firstParty.topics.map { ($0.name, $0.patterns.map(URLPattern.init)) }
        handRaiserForms = Set(model.routing.handRaiserForms)
        skipLifecycles = Set(model.routing.skipLifecycles)
        pageHalfLife = HalfLife(days: model.engagement.pageViewHalfLifeDays)
        intentHalfLife = HalfLife(days: model.engagement.intentHalfLifeDays)
        formHalfLife = HalfLife(days: model.engagement.formHalfLifeDays)
        committeeWindow = .days(model.committee.windowDays)
        surgeCurrentHalfLife = HalfLife(days: model.surges.firstParty.currentHalfLifeDays)
        surgeBaselineHalfLife = HalfLife(days: model.surges.firstParty.baselineHalfLifeDays)
        intentBaselineHalfLife = HalfLife(days: model.surges.thirdParty.baselineHalfLifeDays)
    }

    func halfLife(of signalClass: SignalClass) -> HalfLife {
        switch signalClass {
        case .pageView: pageHalfLife
        case .intent: intentHalfLife
        case .form: formHalfLife
        }
    }

    /// The page category of a URL path, or nil when no pattern matches.
    func pageCategory(path: [UInt8]) -> (name: String, points: Double)? {
        for category in pageCategories where category.patterns.contains(where: { $0.matches(path: path) }) {
            return (category.name, category.points)
        }
        return nil
    }

    func firstPartyTopic(path: [UInt8]) -> String? {
        firstPartyTopics.first { $0.patterns.contains { $0.matches(path: path) } }?.name
    }

    /// Contact points of a person from their seniority and job title (the lowest rule wins
    /// when a title rule is negative, so a "student" stays negative whatever the seniority).
    func contactPoints(seniority: String?, jobTitle: String?) -> Double {
        var points = seniority.flatMap { model.contact.seniorityPoints[$0.lowercased()] } ?? 0
        if let title = jobTitle?.lowercased() {
            for rule in model.contact.titleRules where title.contains(rule.contains.lowercased()) {
                points = rule.points < 0 ? min(points, rule.points) : max(points, rule.points)
            }
        }
        return points
    }
}

/// The classes of signal that share a half-life.
public enum SignalClass: UInt8, Sendable, Hashable, Codable {
    case pageView, intent, form
}
