import Foundation
import Synchronization

/// A `ScoringModel` prepared for the hot path: lower-cased sets, parsed patterns and half-lives,
/// plus the config version (a hash of the model's canonical JSON) stamped on every output.
/// A class: it is read on every event and shared, so passing it costs one reference count
/// instead of copying two dozen collections.
public final class CompiledModel: Sendable {
    public let model: ScoringModel
    /// First 16 hex digits of SHA-256 over the model's canonical JSON.
    public let version: String
    /// Unique per compiled model in this process: values derived from a model are cached
    /// against it.
    let serial: Int
    private static let serials = Atomic<Int>(0)

    let icpIndustries: Set<String>
    let excludedIndustries: Set<String>
    let icpCountries: Set<String>
    let complementaryTechnologies: Set<String>
    let competitorDomains: Set<String>
    /// Looked up with the hash the directory lookup uses too (see `DomainMap`).
    let freeMailDomains: DomainMap<Bool>
    let ipRanges: IPRangeTable
    let pageCategories: [(name: String, points: Double, patterns: [URLPattern])]
    /// Points of one full occurrence of each signal the model scores (`page:pricing`,
    /// `form:demo_request`), by `SignalID` number; a number past the end, or a signal the
    /// model does not list, scores 0. Scoring reads one per tally on every event.
    let pointsBySignal: [Double]
    /// Signals by page category index and by known form type, built once.
    let pageSignals: [SignalID]
    let formSignals: [String: SignalID]
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
    let repeatCurve: RepeatCurve

    public init(_ model: ScoringModel) {
        self.model = model
        serial = CompiledModel.serials.add(1, ordering: .relaxed).newValue
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
        freeMailDomains = DomainMap(keys: FreeMailDomains.shipped.union(model.identity.extraFreeMailDomains.map { $0.lowercased() }), value: true)
        var table = IPRangeTable()
        for range in model.identity.ipRanges { table.add(cidr: range.cidr, accountID: range.accountID) }
        ipRanges = table
        pageCategories = model.engagement.pageCategories.map { ($0.name, $0.points, $0.patterns.map(URLPattern.init)) }
        pageSignals = model.engagement.pageCategories.map { SignalID("page:" + $0.name) }
        formSignals = Dictionary(uniqueKeysWithValues: model.engagement.formPoints.keys.map { ($0, SignalID("form:" + $0)) })
        // The first category of a name gives its points.
        var points: [SignalID: Double] = [:]
        for (signal, category) in zip(pageSignals, model.engagement.pageCategories) where points[signal] == nil {
            points[signal] = category.points
        }
        for (form, value) in model.engagement.formPoints { points[formSignals[form]!] = value }
        var scored = [Double](repeating: 0, count: Int(points.keys.map(\.raw).max() ?? 0) + 1)
        for (signal, value) in points { scored[Int(signal.raw)] = value }
        pointsBySignal = scored
        firstPartyTopics = model.surges.firstParty.topics.map { ($0.name, $0.patterns.map(URLPattern.init)) }
        handRaiserForms = Set(model.routing.handRaiserForms)
        skipLifecycles = Set(model.routing.skipLifecycles)
        repeatCurve = RepeatCurve(repeatFactor: model.engagement.repeatFactor)
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

    /// What a URL means to the model: its page category's signal (nil when no pattern
    /// matches) and its first-party surge topic.
    struct PageMeaning: Sendable {
        var signal: SignalID?
        var topic: String?
    }

    func meaning(ofURL url: String) -> PageMeaning {
        let path = URLPattern.path(of: url)
        let category = pageCategories.firstIndex { $0.patterns.contains { $0.matches(path: path) } }
        let topic = firstPartyTopics.first { $0.patterns.contains { $0.matches(path: path) } }?.name
        return PageMeaning(signal: category.map { pageSignals[$0] }, topic: topic)
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
