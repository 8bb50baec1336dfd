/// Decodes input messages (JSON bytes) into events, validating them exactly as the schemas in
/// `schemas/` do, in one pass over the bytes. Every failure is a `Rejection` naming the field.
public enum EventDecoder {
    /// Largest accepted epoch-milliseconds timestamp (9999-12-31T23:59:59.999Z).
    static let maxEpochMilliseconds: Int64 = 253_402_300_799_999

    public static func decode(_ bytes: [UInt8]) -> Result<InputEvent, Rejection> {
        bytes.withUnsafeBufferPointer { decode($0) }
    }

    public static func decode(_ bytes: UnsafeBufferPointer<UInt8>) -> Result<InputEvent, Rejection> {
        do {
            return try Fields.reading(bytes) { fields in
                let type = try fields.requiredString(.type)
                switch type {
                case "page_view": return .success(.pageView(try pageView(fields)))
                case "intent_surge": return .success(.intentSurge(try intentSurge(fields)))
                case "form_submission": return .success(.formSubmission(try formSubmission(fields)))
                default:
                    throw Rejection(
                        .unknownEventType, field: "type", expected: "one of page_view, intent_surge, form_submission",
                        found: Fields.quoted(type))
                }
            }
        } catch let rejection as Rejection {
            return .failure(rejection)
        } catch {
            return .failure(Rejection(.malformedJSON, field: nil, expected: "a JSON object", found: "\(error)"))
        }
    }

    /// Decodes one account reference record (a JSONL line or a compacted-topic value).
    public static func decodeAccount(_ bytes: [UInt8]) -> Result<AccountRecord, Rejection> {
        bytes.withUnsafeBufferPointer { buffer in
            do {
                return try Fields.reading(buffer) { fields in
                    if let type = try fields.optionalString(.type), type != "account" {
                        throw Rejection(.invalidValue, field: "type", expected: "\"account\"", found: Fields.quoted(type))
                    }
                    return .success(try account(fields))
                }
            } catch let rejection as Rejection {
                return .failure(rejection)
            } catch {
                return .failure(Rejection(.malformedJSON, field: nil, expected: "a JSON object", found: "\(error)"))
            }
        }
    }

    private static func common(_ fields: Fields) throws -> (String, EventTime) {
        (try fields.requiredString(.eventID, maxLength: 256), try fields.time(.occurredAt))
    }

    private static func pageView(_ fields: Fields) throws -> PageView {
        let (eventID, occurredAt) = try common(fields)
        try fields.checkUTMStrings()
        return PageView(
            eventID: eventID, occurredAt: occurredAt,
            visitorID: try fields.requiredString(.visitorID, maxLength: 256),
            url: try fields.requiredString(.url, maxLength: 4_096, check: .url),
            accountDomain: try fields.optionalString(.accountDomain, maxLength: 253, check: .domain),
            ip: try fields.optionalString(.ip, maxLength: 45, allowEmpty: false),
            referrer: try fields.optionalString(.referrer, maxLength: 4_096),
            title: try fields.optionalString(.title, maxLength: 1_024),
            engagedMilliseconds: try fields.optionalInteger(.engagedMilliseconds, in: 0...86_400_000).map(Int64.init),
            email: try fields.optionalString(.email, maxLength: 320, check: .email))
    }

    private static func intentSurge(_ fields: Fields) throws -> IntentSurge {
        let (eventID, occurredAt) = try common(fields)
        return IntentSurge(
            eventID: eventID, occurredAt: occurredAt,
            accountDomain: try fields.requiredString(.accountDomain, maxLength: 253, check: .domain),
            topic: try fields.requiredString(.topic, maxLength: 128),
            score: try fields.requiredNumber(.score, in: 0...100),
            provider: try fields.optionalString(.provider, maxLength: 128))
    }

    private static func formSubmission(_ fields: Fields) throws -> FormSubmission {
        let (eventID, occurredAt) = try common(fields)
        return FormSubmission(
            eventID: eventID, occurredAt: occurredAt,
            email: try fields.requiredString(.email, maxLength: 320, check: .email),
            formType: try fields.requiredString(.formType, maxLength: 64, check: .identifier),
            visitorID: try fields.optionalString(.visitorID, maxLength: 256),
            jobTitle: try fields.optionalString(.jobTitle, maxLength: 256, allowEmpty: true),
            seniority: try fields.optionalString(.seniority, maxLength: 64, allowEmpty: true),
            company: try fields.optionalString(.company, maxLength: 256, allowEmpty: true),
            country: try fields.optionalString(.country, maxLength: 2, check: .countryCode),
            consent: try fields.optionalBool(.consent))
    }

    private static func account(_ fields: Fields) throws -> AccountRecord {
        let lifecycleText = try fields.optionalString(.lifecycle)
        var lifecycle: AccountRecord.Lifecycle?
        if let lifecycleText {
            guard let value = AccountRecord.Lifecycle(rawValue: lifecycleText) else {
                throw Rejection(
                    .invalidValue, field: "lifecycle", expected: "one of prospect, open_opportunity, customer",
                    found: Fields.quoted(lifecycleText))
            }
            lifecycle = value
        }
        let domains = try fields.requiredStringArray(.domains, check: .domain, minItems: 1)
        return AccountRecord(
            accountID: try fields.requiredString(.accountID, maxLength: 256),
            domains: domains,
            name: try fields.requiredString(.name, maxLength: 512, allowEmpty: true),
            industry: try fields.requiredString(.industry, maxLength: 128, allowEmpty: true),
            employees: try fields.requiredInteger(.employees, in: 0...100_000_000),
            annualRevenue: try fields.requiredNumber(.annualRevenue, in: 0...1e15),
            country: try fields.requiredString(.country, maxLength: 2, check: .countryCode),
            technologies: try fields.requiredStringArray(.technologies, check: nil, minItems: 0),
            ownerID: try fields.optionalString(.ownerID, maxLength: 256),
            lifecycle: lifecycle)
    }
}

/// Typed access to the top-level members of one document, with the schema's checks.
private struct Fields {
    let reader: JSONReader
    /// The value of the last member of each known name (as JSON parsers that keep one value
    /// do), by `FieldName.rawValue`; members of other names are read, checked and set aside.
    /// Scratch memory on the stack, valid while `reading` runs.
    private let known: UnsafeMutableBufferPointer<JSONReader.Value?>
    /// The first member, in document order, named `utm_…` whose value is neither a string nor
    /// null: page views may carry any `utm_` field, but only as a string.
    private let firstNonStringUTM: JSONReader.Member?

    /// Reads one document, filing each member under its name, and hands the fields to `body`.
    /// The table lives on the stack: a struct holding it inline was copied on every call.
    static func reading<T>(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (Fields) throws -> T) throws -> T {
        try withUnsafeTemporaryAllocation(of: JSONReader.Value?.self, capacity: FieldName.count) { known in
            known.initialize(repeating: nil)
            // Names are looked up through a second reader of the same bytes: the first is busy reading.
            let names = JSONReader(bytes)
            var reader = names
            var firstNonStringUTM: JSONReader.Member?
            do {
                try reader.readObject { member in
                    if let name = names.fieldName(member) {
                        known[name.rawValue] = member.value
                    } else if firstNonStringUTM == nil, names.keyHasPrefix(member, "utm_") {
                        switch member.value {
                        case .string, .null: break
                        default: firstNonStringUTM = member
                        }
                    }
                }
            } catch let failure as JSONReader.Failure {
                throw Rejection(
                    .malformedJSON, field: nil, expected: "a JSON object", found: "invalid JSON at byte \(failure.offset): \(failure.message)")
            }
            return try body(Fields(reader: names, known: known, firstNonStringUTM: firstNonStringUTM))
        }
    }

    /// String formats the schemas constrain with a pattern.
    enum Check {
        case url, domain, email, identifier, countryCode

        var expected: String {
            switch self {
            case .url: "an http(s) URL"
            case .domain: "a domain name such as acme.com"
            case .email: "an email address"
            case .identifier: "a lower-case identifier such as demo_request"
            case .countryCode: "an ISO 3166-1 alpha-2 country code such as US"
            }
        }

        func accepts(_ text: String) -> Bool {
            var text = text
            return text.withUTF8 { accepts($0) }
        }

        /// Checked on the UTF-8 bytes, in place: most strings are checked before they become a
        /// `String`, straight from the message.
        func accepts(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
            switch self {
            case .url: bytes.hasPrefix("http://") || bytes.hasPrefix("https://")
            case .domain: DomainName.isValidSyntax(bytes)
            case .email: Self.isEmail(bytes)
            case .identifier: Self.isIdentifier(bytes)
            case .countryCode: bytes.count == 2 && bytes.allSatisfy { $0 >= 65 && $0 <= 90 }
            }
        }

        /// `^[^@\s]+@[^@\s]+\.[^@\s]+$`
        private static func isEmail(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
            guard let at = bytes.firstIndex(of: 64), at > 0 else { return false }
            func plain(_ byte: UInt8) -> Bool { byte != 64 && byte != 32 && !(9...13).contains(byte) }
            let last = bytes.count - 1
            guard bytes[..<at].allSatisfy(plain), bytes[(at + 1)...].allSatisfy(plain), last > at else { return false }
            return ((at + 2)..<max(at + 2, last)).contains { bytes[$0] == 46 }
        }

        /// `^[a-z][a-z0-9_]*$`
        private static func isIdentifier(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
            guard let first = bytes.first, (97...122).contains(first) else { return false }
            return bytes.allSatisfy { (97...122).contains($0) || (48...57).contains($0) || $0 == 95 }
        }
    }

    static func quoted(_ text: String) -> String {
        let clipped = text.count > 60 ? String(text.prefix(57)) + "…" : text
        return "\"" + clipped + "\""
    }

    /// The member with this name (the last one).
    func value(_ name: FieldName) -> JSONReader.Value? { known[name.rawValue] }

    func describe(_ value: JSONReader.Value) -> String {
        switch value {
        case .string(let range, let escaped): "string " + Self.quoted(reader.string(range, escaped: escaped))
        case .number(let number, let isInteger): (isInteger ? "integer " : "number ") + Self.format(number)
        case .bool(let flag): "boolean \(flag)"
        case .null: "null"
        case .array: "an array"
        case .object: "an object"
        }
    }

    static func format(_ number: Double) -> String {
        number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
    }

    func requiredString(_ name: FieldName, maxLength: Int = 1_024, allowEmpty: Bool = false, check: Check? = nil) throws -> String {
        guard let value = try optionalString(name, maxLength: maxLength, allowEmpty: allowEmpty, check: check, nullable: false) else {
            throw Rejection(.missingField, field: "\(name)", expected: check?.expected ?? "a string", found: "nothing")
        }
        return value
    }

    func optionalString(_ name: FieldName, maxLength: Int = 1_024, allowEmpty: Bool = false, check: Check? = nil, nullable: Bool = true) throws -> String? {
        guard let value = value(name) else { return nil }
        if case .null = value, nullable { return nil }
        guard case .string(let range, let escaped) = value else {
            throw Rejection(.wrongType, field: "\(name)", expected: check?.expected ?? "a string", found: describe(value))
        }
        if escaped {
            let text = reader.string(range, escaped: true)
            var copy = text
            try copy.withUTF8 { try checkString($0, name, maxLength: maxLength, allowEmpty: allowEmpty, check: check) }
            return text
        }
        // Without escapes the message's bytes are the string's: checked in place, then copied once.
        let raw = UnsafeBufferPointer(rebasing: reader.bytes[range])
        try checkString(raw, name, maxLength: maxLength, allowEmpty: allowEmpty, check: check)
        return String(decoding: raw, as: UTF8.self)
    }

    /// The schema's checks on a string's (valid) UTF-8 bytes.
    private func checkString(_ utf8: UnsafeBufferPointer<UInt8>, _ name: FieldName, maxLength: Int, allowEmpty: Bool, check: Check?) throws {
        // UTF-8 length bounds the scalar count from above, so the exact count (every byte that
        // does not continue a scalar) is needed only past the limit.
        let length = utf8.count <= maxLength ? utf8.count : utf8.reduce(0) { $0 + ($1 & 0xC0 == 0x80 ? 0 : 1) }
        if length == 0 && !allowEmpty {
            throw Rejection(.invalidValue, field: "\(name)", expected: check?.expected ?? "a non-empty string", found: "an empty string")
        }
        if length > maxLength {
            throw Rejection(.invalidValue, field: "\(name)", expected: "at most \(maxLength) characters", found: "\(length) characters")
        }
        if let check, !check.accepts(utf8) {
            throw Rejection(.invalidValue, field: "\(name)", expected: check.expected, found: Self.quoted(String(decoding: utf8, as: UTF8.self)))
        }
    }

    func time(_ name: FieldName) throws -> EventTime {
        guard let value = value(name) else {
            throw Rejection(.missingField, field: "\(name)", expected: "an RFC 3339 timestamp or epoch milliseconds", found: "nothing")
        }
        switch value {
        case .string(let range, let escaped):
            let parsed: EventTime? =
                escaped
                ? RFC3339.parse(reader.string(range, escaped: true))
                : RFC3339.parse(UnsafeBufferPointer(rebasing: reader.bytes[range]))
            guard let parsed else {
                throw Rejection(
                    .invalidValue, field: "\(name)", expected: "an RFC 3339 timestamp such as 2026-11-23T10:15:00Z",
                    found: describe(value))
            }
            return parsed
        case .number(let number, _) where number == number.rounded() && number >= 0 && number <= Double(EventDecoder.maxEpochMilliseconds):
            return EventTime(milliseconds: Int64(number))
        default:
            throw Rejection(
                .wrongType, field: "\(name)", expected: "an RFC 3339 timestamp or non-negative epoch milliseconds",
                found: describe(value))
        }
    }

    func requiredNumber(_ name: FieldName, in range: ClosedRange<Double>) throws -> Double {
        guard let value = value(name) else { throw Rejection(.missingField, field: "\(name)", expected: "a number", found: "nothing") }
        guard case .number(let number, _) = value else {
            throw Rejection(.wrongType, field: "\(name)", expected: "a number", found: describe(value))
        }
        guard number.isFinite, range.contains(number) else {
            throw Rejection(
                .invalidValue, field: "\(name)",
                expected: "a number from \(Self.format(range.lowerBound)) to \(Self.format(range.upperBound))",
                found: Self.format(number))
        }
        return number
    }

    func requiredInteger(_ name: FieldName, in range: ClosedRange<Int>) throws -> Int {
        guard let value = try optionalInteger(name, in: range, nullable: false) else {
            throw Rejection(.missingField, field: "\(name)", expected: "an integer", found: "nothing")
        }
        return value
    }

    func optionalInteger(_ name: FieldName, in range: ClosedRange<Int>, nullable: Bool = true) throws -> Int? {
        guard let value = value(name) else { return nil }
        if case .null = value, nullable { return nil }
        guard case .number(let number, let isInteger) = value, isInteger || number == number.rounded() else {
            throw Rejection(.wrongType, field: "\(name)", expected: "an integer", found: describe(value))
        }
        guard number >= Double(range.lowerBound), number <= Double(range.upperBound) else {
            throw Rejection(
                .invalidValue, field: "\(name)", expected: "an integer from \(range.lowerBound) to \(range.upperBound)",
                found: Self.format(number))
        }
        return Int(number)
    }

    func optionalBool(_ name: FieldName) throws -> Bool? {
        guard let value = value(name) else { return nil }
        switch value {
        case .null: return nil
        case .bool(let flag): return flag
        default: throw Rejection(.wrongType, field: "\(name)", expected: "a boolean", found: describe(value))
        }
    }

    func requiredStringArray(_ name: FieldName, check: Check?, minItems: Int) throws -> [String] {
        guard let value = value(name) else {
            throw Rejection(.missingField, field: "\(name)", expected: "an array of strings", found: "nothing")
        }
        guard case .array(let range) = value else {
            throw Rejection(.wrongType, field: "\(name)", expected: "an array of strings", found: describe(value))
        }
        var strings: [String] = []
        for (position, element) in reader.elements(of: range).enumerated() {
            guard case .string(let elementRange, let escaped) = element else {
                throw Rejection(.wrongType, field: "\(name)[\(position)]", expected: "a string", found: describe(element))
            }
            let text = reader.string(elementRange, escaped: escaped)
            if let check, !check.accepts(text) {
                throw Rejection(.invalidValue, field: "\(name)[\(position)]", expected: check.expected, found: Self.quoted(text))
            }
            strings.append(text)
        }
        guard strings.count >= minItems else {
            throw Rejection(.invalidValue, field: "\(name)", expected: "at least \(minItems) item(s)", found: "an empty array")
        }
        return strings
    }

    /// Members named `utm_…` must be strings (or null).
    func checkUTMStrings() throws {
        guard let member = firstNonStringUTM else { return }
        let name = reader.string(member.key, escaped: member.keyEscaped)
        throw Rejection(.wrongType, field: name, expected: "a string", found: describe(member.value))
    }
}
