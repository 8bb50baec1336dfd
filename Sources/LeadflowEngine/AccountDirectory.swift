import Foundation

/// The account reference data: records by id and the account each normalised domain belongs
/// to. Loaded from a CRM export and updated record by record (the daemon feeds a compacted
/// topic into it).
public struct AccountDirectory: Sendable {
    public private(set) var records: [String: AccountRecord] = [:]
    private var accountByDomain = DomainMap<String>()
    /// Bumped on every change, so derived values (fit) can be cached against it.
    public private(set) var revision: Int = 0

    public init() {}

    public init(records: [AccountRecord]) {
        for record in records { upsert(record) }
    }

    public var count: Int { records.count }

    public func record(id: String) -> AccountRecord? { records[id] }

    /// The account id a normalised domain belongs to.
    public func accountID(forDomain domain: String) -> String? { accountByDomain[domain] }

    /// The account id a domain (whose `DomainMap.hash` the caller has computed) belongs to, with
    /// the directory's own copy of the domain: an account's state keeps that one, shared,
    /// instead of a heap string of its own.
    func account(forDomain domain: String, hash: UInt32) -> (domain: String, accountID: String)? {
        accountByDomain.entry(for: domain, hash: hash).map { ($0.key, $0.value) }
    }

    /// Asks the processor to fetch where a lookup of a domain with this hash starts (a hint).
    func prefetch(domainHash hash: UInt32) { accountByDomain.prefetch(hash: hash) }

    /// Adds or replaces a record; the domains it no longer lists stop pointing at it.
    public mutating func upsert(_ record: AccountRecord) {
        if let old = records[record.accountID] {
            for domain in old.domains.compactMap(DomainName.normalize) where accountByDomain[domain] == record.accountID {
                accountByDomain[domain] = nil
            }
        }
        records[record.accountID] = record
        for domain in record.domains.compactMap(DomainName.normalize) { accountByDomain[domain] = record.accountID }
        revision += 1
    }

    /// Removes a record (a tombstone on the compacted topic).
    public mutating func remove(accountID: String) {
        guard let old = records.removeValue(forKey: accountID) else { return }
        for domain in old.domains.compactMap(DomainName.normalize) where accountByDomain[domain] == accountID {
            accountByDomain[domain] = nil
        }
        revision += 1
    }

    /// A problem with one line of a reference file.
    public struct LineProblem: Sendable, Hashable, CustomStringConvertible {
        public var line: Int
        public var rejection: Rejection
        public var description: String { "line \(line): \(rejection.description)" }
    }

    /// Parses JSON Lines (one record per line; blank lines skipped).
    public static func parseJSONLines(_ text: String) -> (records: [AccountRecord], problems: [LineProblem]) {
        var records: [AccountRecord] = []
        var problems: [LineProblem] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: [" ", "\t", "\r"])
            if trimmed.isEmpty { continue }
            switch EventDecoder.decodeAccount(Array(trimmed.utf8)) {
            case .success(let record): records.append(record)
            case .failure(let rejection): problems.append(LineProblem(line: index + 1, rejection: rejection))
            }
        }
        return (records, problems)
    }

    /// Parses CSV with a header row naming the record fields; `domains` and `technologies` hold
    /// `;`-separated lists. Each row is validated exactly as a JSON record is.
    public static func parseCSV(_ text: String) -> (records: [AccountRecord], problems: [LineProblem]) {
        let rows = CSV.parse(text)
        guard let header = rows.first?.fields else {
            return ([], [LineProblem(line: 1, rejection: Rejection(.missingField, field: nil, expected: "a header row", found: "an empty file"))])
        }
        var records: [AccountRecord] = []
        var problems: [LineProblem] = []
        for row in rows.dropFirst() where !(row.fields.count == 1 && row.fields[0].isEmpty) {
            var writer = JSONWriter()
            for (column, name) in header.enumerated() {
                let value = column < row.fields.count ? row.fields[column] : ""
                switch name {
                case "domains", "technologies":
                    writer.field(name, strings: value.split(separator: ";").map { $0.trimmingCharacters(in: [" "]) }.filter { !$0.isEmpty })
                case "employees", "annual_revenue":
                    // Numbers stay numbers; anything else stays text so validation names it.
                    if let number = Double(value), number.isFinite { writer.field(name, raw: value) } else { writer.field(name, value) }
                case "owner_id", "lifecycle":
                    if !value.isEmpty { writer.field(name, value) }
                default:
                    writer.field(name, value)
                }
            }
            switch EventDecoder.decodeAccount(Array(writer.finish().utf8)) {
            case .success(let record): records.append(record)
            case .failure(let rejection): problems.append(LineProblem(line: row.line, rejection: rejection))
            }
        }
        return (records, problems)
    }
}

/// RFC 4180 CSV: quoted fields may hold commas, quotes (doubled) and newlines.
enum CSV {
    struct Row {
        var line: Int
        var fields: [String]
    }

    static func parse(_ text: String) -> [Row] {
        var rows: [Row] = []
        var fields: [String] = []
        var field = ""
        var inQuotes = false
        var line = 1
        var rowLine = 1
        var characters = Array(text).makeIterator()
        var pending: Character? = nil
        func next() -> Character? {
            if let character = pending {
                pending = nil
                return character
            }
            return characters.next()
        }
        while let character = next() {
            if inQuotes {
                if character == "\"" {
                    if let following = next() {
                        if following == "\"" { field.append("\"") } else { inQuotes = false; pending = following }
                    } else {
                        inQuotes = false
                    }
                } else {
                    if character == "\n" { line += 1 }
                    field.append(character)
                }
                continue
            }
            switch character {
            case "\"" where field.isEmpty: inQuotes = true
            case ",":
                fields.append(field)
                field = ""
            case "\n", "\r\n":
                fields.append(field)
                rows.append(Row(line: rowLine, fields: fields))
                fields = []
                field = ""
                line += 1
                rowLine = line
            case "\r": continue
            default: field.append(character)
            }
        }
        if !field.isEmpty || !fields.isEmpty {
            fields.append(field)
            rows.append(Row(line: rowLine, fields: fields))
        }
        return rows
    }
}

extension AccountDirectory {
    /// What one record of the compacted account-reference topic did.
    public enum ReferenceChange: Sendable, Hashable {
        case upserted(accountID: String)
        case removed(accountID: String)
    }

    /// Applies one record of the compacted reference topic: a JSON account record keyed by its
    /// account id, or a tombstone (empty value) removing that id. A record whose key names
    /// another account is rejected: compaction keeps one record per key, so such a record could
    /// later shadow or be shadowed by the wrong one.
    public mutating func applyReference(key: [UInt8]?, value: [UInt8]) -> Result<ReferenceChange, Rejection> {
        let keyText = key.map { String(decoding: $0, as: UTF8.self) }
        if value.isEmpty {
            guard let keyText, !keyText.isEmpty else {
                return .failure(Rejection(.missingField, field: "key", expected: "the account id (a tombstone needs its key)", found: "no key"))
            }
            remove(accountID: keyText)
            return .success(.removed(accountID: keyText))
        }
        switch EventDecoder.decodeAccount(value) {
        case .failure(let rejection):
            return .failure(rejection)
        case .success(let record):
            if let keyText, !keyText.isEmpty, keyText != record.accountID {
                return .failure(Rejection(.invalidValue, field: "key", expected: "the record's account_id '\(record.accountID)'", found: keyText))
            }
            upsert(record)
            return .success(.upserted(accountID: record.accountID))
        }
    }
}
