/// What each page URL means under the model (its category and first-party topic), remembered
/// for the URLs seen most recently. Sites have few distinct pages and every page view asks, so
/// the answer is kept in a direct-mapped table keyed by a hash of the URL's bytes read eight at a
/// time: a `Dictionary` of strings spent more on SipHash and its probing than the engine spent
/// scoring the view. A slot holds one URL; a colliding URL replaces it (a lookup then costs one
/// pattern match), so the table never grows and what it answers never depends on its contents.
struct PageMeaningCache {
    private struct Entry {
        var url: String
        var meaning: CompiledModel.PageMeaning
    }

    private static let slotBits = 12
    private var entries = [Entry?](repeating: nil, count: 1 << slotBits)

    /// The meaning of `url`, from the table or from `compute` (then remembered).
    mutating func meaning(of url: String, _ compute: (String) -> CompiledModel.PageMeaning) -> CompiledModel.PageMeaning {
        let slot = Int(truncatingIfNeeded: Self.hash(url) >> UInt64(64 - Self.slotBits))
        if let entry = entries[slot], entry.url == url { return entry.meaning }
        let meaning = compute(url)
        entries[slot] = Entry(url: url, meaning: meaning)
        return meaning
    }

    mutating func removeAll() {
        for slot in entries.indices { entries[slot] = nil }
    }

    /// A multiply-and-xorshift hash over 8-byte words; good enough to spread URLs over slots,
    /// not meant to resist chosen collisions (a collision costs one pattern match).
    static func hash(_ text: String) -> UInt64 {
        if let hash = text.utf8.withContiguousStorageIfAvailable(hash(bytes:)) { return hash }
        return Array(text.utf8).withUnsafeBufferPointer(hash(bytes:))
    }

    private static func hash(bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var hash: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(bytes.count)
        var index = 0
        while index + 8 <= bytes.count {
            let word = UnsafeRawPointer(bytes.baseAddress!).loadUnaligned(fromByteOffset: index, as: UInt64.self)
            hash = (hash ^ word) &* 0xBF58_476D_1CE4_E5B9
            hash ^= hash >> 29
            index += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while index < bytes.count {
            tail |= UInt64(bytes[index]) << shift
            shift += 8
            index += 1
        }
        hash = (hash ^ tail) &* 0x94D0_49BB_1331_11EB
        return hash ^ (hash >> 31)
    }
}
