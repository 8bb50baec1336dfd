/// The member names the input schemas give meaning to (events and account records together).
///
/// The decoder matches each member's name once, as it reads it, and files the value under its
/// name; the typed checks then find a field in one step. Looking fields up by name instead
/// compared every name asked for with every member of the document: a page view asked for
/// eleven names across about eight members on every event.
enum FieldName: Int, CaseIterable, Sendable, CustomStringConvertible {
    case type, eventID, occurredAt
    case visitorID, url, accountDomain, ip, referrer, title, engagedMilliseconds, email
    case topic, score, provider
    case formType, jobTitle, seniority, company, country, consent
    case accountID, domains, name, industry, employees, annualRevenue, technologies, ownerID, lifecycle

    /// How many names there are: the size of a decoder's table of fields.
    static let count = allCases.count

    /// The name as it stands in the JSON.
    var text: StaticString {
        switch self {
        case .type: "type"
        case .eventID: "event_id"
        case .occurredAt: "occurred_at"
        case .visitorID: "visitor_id"
        case .url: "url"
        case .accountDomain: "account_domain"
        case .ip: "ip"
        case .referrer: "referrer"
        case .title: "title"
        case .engagedMilliseconds: "engaged_ms"
        case .email: "email"
        case .topic: "topic"
        case .score: "score"
        case .provider: "provider"
        case .formType: "form_type"
        case .jobTitle: "job_title"
        case .seniority: "seniority"
        case .company: "company"
        case .country: "country"
        case .consent: "consent"
        case .accountID: "account_id"
        case .domains: "domains"
        case .name: "name"
        case .industry: "industry"
        case .employees: "employees"
        case .annualRevenue: "annual_revenue"
        case .technologies: "technologies"
        case .ownerID: "owner_id"
        case .lifecycle: "lifecycle"
        }
    }

    /// The name for rejection messages.
    var description: String { "\(text)" }

    /// The known name these raw (unescaped) bytes spell, if any. The length and a byte or two
    /// pick the one candidate, which is then compared in full.
    /// `readable` is how many bytes may be read from the key's start (the rest of the
    /// document): with 16 or more, the key is loaded as two words in place.
    static func named(_ key: UnsafeBufferPointer<UInt8>, readable: Int = 0) -> FieldName? {
        guard key.count >= 2 else { return nil }
        let candidate: FieldName?
        switch (key.count, key[0]) {
        case (2, UInt8(ascii: "i")): candidate = .ip
        case (3, UInt8(ascii: "u")): candidate = .url
        case (4, UInt8(ascii: "t")): candidate = .type
        case (4, UInt8(ascii: "n")): candidate = .name
        case (5, UInt8(ascii: "t")): candidate = key[1] == UInt8(ascii: "i") ? .title : .topic
        case (5, UInt8(ascii: "e")): candidate = .email
        case (5, UInt8(ascii: "s")): candidate = .score
        case (7, UInt8(ascii: "c")):
            switch key[2] {
            case UInt8(ascii: "m"): candidate = .company
            case UInt8(ascii: "u"): candidate = .country
            default: candidate = .consent
            }
        case (7, UInt8(ascii: "d")): candidate = .domains
        case (8, UInt8(ascii: "e")): candidate = .eventID
        case (8, UInt8(ascii: "r")): candidate = .referrer
        case (8, UInt8(ascii: "p")): candidate = .provider
        case (8, UInt8(ascii: "i")): candidate = .industry
        case (8, UInt8(ascii: "o")): candidate = .ownerID
        case (9, UInt8(ascii: "f")): candidate = .formType
        case (9, UInt8(ascii: "j")): candidate = .jobTitle
        case (9, UInt8(ascii: "s")): candidate = .seniority
        case (9, UInt8(ascii: "e")): candidate = .employees
        case (9, UInt8(ascii: "l")): candidate = .lifecycle
        case (10, UInt8(ascii: "v")): candidate = .visitorID
        case (10, UInt8(ascii: "e")): candidate = .engagedMilliseconds
        case (10, UInt8(ascii: "a")): candidate = .accountID
        case (11, UInt8(ascii: "o")): candidate = .occurredAt
        case (12, UInt8(ascii: "t")): candidate = .technologies
        case (14, UInt8(ascii: "a")): candidate = key[1] == UInt8(ascii: "c") ? .accountDomain : .annualRevenue
        default: candidate = nil
        }
        // Every candidate above has the length it was picked by, and its first byte.
        guard let candidate else { return nil }
        return Self.words(of: key, readable: readable) == nameWords[candidate.rawValue] ? candidate : nil
    }

    /// Each name's bytes as two words, zero-padded (no name is longer than 16 bytes): a key is
    /// compared with its one candidate in two word comparisons. Compared byte by byte, the loop
    /// and its exit, at a different length every member, were most of the lookup's time.
    private static let nameWords: [Words] = allCases.map { name in
        words(of: UnsafeBufferPointer(start: name.text.utf8Start, count: name.text.utf8CodeUnitCount))
    }

    private struct Words: Equatable {
        var low: UInt64 = 0
        var high: UInt64 = 0
    }

    /// Up to 16 bytes as two words, zero-padded, the first byte lowest.
    private static func words(of bytes: UnsafeBufferPointer<UInt8>, readable: Int = 0) -> Words {
        let count = Swift.min(bytes.count, 16)
        if readable >= 16, let start = bytes.baseAddress {
            let raw = UnsafeRawPointer(start)
            let low = UInt64(littleEndian: raw.loadUnaligned(as: UInt64.self))
            let high = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            let lowMask: UInt64 = count >= 8 ? .max : (1 << (8 * UInt64(count))) - 1
            let highMask: UInt64 = count >= 16 ? .max : count <= 8 ? 0 : (1 << (8 * UInt64(count - 8))) - 1
            return Words(low: low & lowMask, high: high & highMask)
        }
        var words = Words()
        withUnsafeMutableBytes(of: &words) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes).prefix(count))) }
        return Words(low: UInt64(littleEndian: words.low), high: UInt64(littleEndian: words.high))
    }
}
