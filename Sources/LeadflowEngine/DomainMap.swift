/// Normalised domains to values, looked up by a hash the caller computes once per event.
///
/// Every signal asks two questions of its domain: is it a free-mail domain, and which account
/// owns it. With `Set<String>` and `[String: String]` each question hashed the domain again,
/// and every probe of an occupied slot compared the key strings, loading a heap string that
/// was rarely in cache; at 10,000 accounts those comparisons alone were 8% of `bench core`.
/// Here both maps share one hash (`AccountIndex.hash`, seeded per process, so crafted domains
/// cannot force collisions) and a probe compares 32-bit hashes; a key string is read only when
/// its hash matches.
struct DomainMap<Value: Sendable>: Sendable {
    private var index = AccountIndex()
    private var keys: [String] = []
    private var values: [Value] = []

    init() {}

    init<S: Sequence>(keys: S, value: Value) where S.Element == String {
        for key in keys { self[key] = value }
    }

    static func hash(_ domain: String) -> UInt32 { AccountIndex.hash(domain) }

    var count: Int { keys.count }

    private func position(of domain: String, hash: UInt32) -> Int? {
        index.find(hash: hash) { keys[$0] == domain }
    }

    /// The value for `domain`, whose `hash(_:)` is `hash`.
    func value(for domain: String, hash: UInt32) -> Value? {
        position(of: domain, hash: hash).map { values[$0] }
    }

    /// The stored key equal to `domain`, with its value: a caller keeping the domain keeps this
    /// one string, shared, rather than its own copy.
    func entry(for domain: String, hash: UInt32) -> (key: String, value: Value)? {
        position(of: domain, hash: hash).map { (keys[$0], values[$0]) }
    }

    func contains(_ domain: String, hash: UInt32) -> Bool { position(of: domain, hash: hash) != nil }

    /// Asks the processor to fetch the index slot where a lookup of `hash` starts (a hint).
    func prefetch(hash: UInt32) { index.prefetch(hash: hash) }

    subscript(domain: String) -> Value? {
        get { value(for: domain, hash: Self.hash(domain)) }
        set {
            let hash = Self.hash(domain)
            let found = position(of: domain, hash: hash)
            switch (found, newValue) {
            case (let position?, let value?):
                values[position] = value
            case (nil, let value?):
                index.insert(hash: hash, position: keys.count)
                keys.append(domain)
                values.append(value)
            case (let position?, nil):
                // The last entry moves into the hole, so the arrays stay dense. (Removals are
                // rare, reference records changing, so its hash is computed again, not stored.)
                let last = keys.count - 1
                index.remove(hash: hash, position: position)
                if position != last {
                    index.move(hash: Self.hash(keys[last]), from: last, to: position)
                    keys.swapAt(position, last)
                    values.swapAt(position, last)
                }
                keys.removeLast()
                values.removeLast()
            case (nil, nil):
                break
            }
        }
    }
}
