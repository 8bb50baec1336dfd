import CPrefetch

/// Positions of accounts in an `AccountTable`, found by a hash of the account id.
///
/// Open addressing with linear probing over 8-byte slots (a 32-bit hash and a position). A
/// dictionary keyed by `String` compares the key strings at every probe, and an account id
/// longer than 15 bytes lives on the heap, so each probe could miss the cache; here a probe
/// compares the stored hash and only a match is checked against the account's own id, which
/// the caller is about to read anyway. Ids hash with the standard library's per-process seeded
/// hasher, so crafted ids cannot force collisions.
struct AccountIndex: Sendable {
    private struct Slot: Sendable {
        var hash: UInt32
        /// -1: empty.
        var position: Int32
        static let empty = Slot(hash: 0, position: -1)
    }

    private var slots: [Slot]
    private(set) var count = 0

    init(capacity: Int = 0) {
        var size = 16
        while size / 2 < capacity { size *= 2 }
        slots = Array(repeating: .empty, count: size)
    }

    static func hash(_ id: String) -> UInt32 {
        var hasher = Hasher()
        hasher.combine(id)
        let value = hasher.finalize()
        return UInt32(truncatingIfNeeded: value) ^ UInt32(truncatingIfNeeded: value >> 32)
    }

    /// The position of the account whose hash is `hash` and for which `isAccount` holds.
    func find(hash: UInt32, isAccount: (Int) -> Bool) -> Int? {
        let mask = slots.count - 1
        var slot = Int(hash) & mask
        while true {
            let entry = slots[slot]
            if entry.position < 0 { return nil }
            if entry.hash == hash && isAccount(Int(entry.position)) { return Int(entry.position) }
            slot = (slot + 1) & mask
        }
    }

    /// Asks the processor to fetch the slot where a lookup of `hash` starts (a hint).
    func prefetch(hash: UInt32) {
        slots.withUnsafeBufferPointer { leadflow_prefetch($0.baseAddress! + (Int(hash) & ($0.count - 1))) }
    }

    /// The first position stored with `hash`, without checking the account (a hint: on a
    /// collision of 32-bit hashes it is another account's).
    func candidate(hash: UInt32) -> Int? {
        let mask = slots.count - 1
        var slot = Int(hash) & mask
        while true {
            let entry = slots[slot]
            if entry.position < 0 { return nil }
            if entry.hash == hash { return Int(entry.position) }
            slot = (slot + 1) & mask
        }
    }

    /// Adds an account known to be absent.
    mutating func insert(hash: UInt32, position: Int) {
        if (count + 1) * 2 > slots.count { grow() }
        let mask = slots.count - 1
        var slot = Int(hash) & mask
        while slots[slot].position >= 0 { slot = (slot + 1) & mask }
        slots[slot] = Slot(hash: hash, position: Int32(position))
        count += 1
    }

    /// Points the entry at `from` (with this hash) to `to`.
    mutating func move(hash: UInt32, from: Int, to: Int) {
        let mask = slots.count - 1
        var slot = Int(hash) & mask
        while slots[slot].position != Int32(from) {
            precondition(slots[slot].position >= 0, "moved account is not indexed")
            slot = (slot + 1) & mask
        }
        slots[slot].position = Int32(to)
    }

    /// Removes the entry for `position` (with this hash), shifting later entries of the probe
    /// run back so lookups never stop early at the hole.
    mutating func remove(hash: UInt32, position: Int) {
        let mask = slots.count - 1
        var hole = Int(hash) & mask
        while slots[hole].position != Int32(position) {
            precondition(slots[hole].position >= 0, "removed account is not indexed")
            hole = (hole + 1) & mask
        }
        var next = hole
        while true {
            next = (next + 1) & mask
            let entry = slots[next]
            if entry.position < 0 { break }
            let home = Int(entry.hash) & mask
            // The entry may move into the hole only if its home is not cyclically in (hole, next].
            let homeAfterHole = hole <= next ? (home > hole && home <= next) : (home > hole || home <= next)
            if !homeAfterHole {
                slots[hole] = entry
                hole = next
            }
        }
        slots[hole] = .empty
        count -= 1
    }

    mutating func reserveCapacity(_ capacity: Int) {
        var size = slots.count
        while capacity * 2 > size { size *= 2 }
        if size > slots.count { grow(to: size) }
    }

    private mutating func grow(to size: Int? = nil) {
        let old = slots
        slots = Array(repeating: .empty, count: size ?? old.count * 2)
        let mask = slots.count - 1
        for entry in old where entry.position >= 0 {
            var slot = Int(entry.hash) & mask
            while slots[slot].position >= 0 { slot = (slot + 1) & mask }
            slots[slot] = entry
        }
    }
}
