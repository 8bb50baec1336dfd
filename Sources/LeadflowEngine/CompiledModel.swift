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
    /// Points by signal key (`page:pricing`, `form:demo_request`).
    let signalPoints: [String: Double]
    /// The same, by position, for tallies that remember their slot (`PointsSlot`). The keys
    /// are the very strings `pageSignalKeys` and `formSignals` hand out, so checking a slot
    /// against a tally's key is usually a pointer comparison.
    let signalTable: [(key: String, points: Double)]
    /// The representation of each of those keys, to recognise them without touching a string.
    let signalKeyBits: [StringBits]
    /// Signal keys by page category index and by known form type, built once.
    let pageSignalKeys: [String]
    /// Each known form type's signal key and its slot in `signalTable`.
    let formSignals: [String: (key: String, slot: PointsSlot)]
    /// Each page category's slot in `signalTable`.
    let pageSignalSlots: [PointsSlot]
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
        pageSignalKeys = model.engagement.pageCategories.map { "page:" + $0.name }
        let formKeys = Dictionary(uniqueKeysWithValues: model.engagement.formPoints.keys.map { ($0, "form:" + $0) })
        var points: [String: Double] = [:]
        for category in model.engagement.pageCategories where points["page:" + category.name] == nil {
            points["page:" + category.name] = category.points
        }
        for (form, value) in model.engagement.formPoints { points["form:" + form] = value }
        signalPoints = points
        var slots: [(key: String, points: Double)] = []
        var slotByKey: [String: PointsSlot] = [:]
        for key in pageSignalKeys + formKeys.keys.sorted().map({ formKeys[$0]! })
        where slots.count < Int(UInt8.max) && slotByKey[key] == nil {
            slotByKey[key] = PointsSlot(index: UInt8(slots.count))
            slots.append((key, points[key] ?? 0))
        }
        signalTable = slots
        signalKeyBits = slots.map { StringBits(of: $0.key) }
        pageSignalSlots = pageSignalKeys.map { slotByKey[$0] ?? PointsSlot() }
        formSignals = formKeys.mapValues { ($0, slotByKey[$0] ?? PointsSlot()) }
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

    /// What a URL means to the model: its page category's signal key (nil when no pattern
    /// matches) and its first-party surge topic.
    struct PageMeaning: Sendable {
        var signal: String?
        var slot: PointsSlot
        var topic: String?
    }

    func meaning(ofURL url: String) -> PageMeaning {
        let path = URLPattern.path(of: url)
        let category = pageCategories.firstIndex { $0.patterns.contains { $0.matches(path: path) } }
        let topic = firstPartyTopics.first { $0.patterns.contains { $0.matches(path: path) } }?.name
        return PageMeaning(signal: category.map { pageSignalKeys[$0] }, slot: category.map { pageSignalSlots[$0] } ?? PointsSlot(), topic: topic)
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
