import CPrefetch

/// The accounts of an engine: their states stored densely in fixed-size chunks, found by id
/// through an index of positions.
///
/// A dictionary from id to a whole `AccountState` keeps its buckets at most three-quarters full
/// and rounds them up to a power of two, so at a million accounts most of its memory is empty
/// state-sized slots; here the index holds only 4-byte positions. Chunks make a snapshot's copy
/// cheap: a chunk whose accounts all belong to the copied task is shared, not copied, and the
/// processing loop later copies only the chunks it writes to (copy on write, a chunk at a time).
public struct AccountTable: Sendable {
    static let chunkShift = 12
    static let chunkSize = 1 << chunkShift

    /// Every chunk is full except the last.
    private var chunks: [[AccountState]] = []
    public private(set) var count = 0
    /// Position by account id; nil until needed. Copies taken for snapshots are only walked, so
    /// they skip building it while the processing loop waits.
    private var positions: AccountIndex? = AccountIndex()

    public init() {}

    /// A table over states, indexed on first mutation (a later state replaces an earlier one
    /// with the same id).
    public init(unindexed states: some Sequence<AccountState>) {
        for state in states { append(state) }
        positions = count == 0 ? AccountIndex() : nil
    }

    /// A table adopting decoded chunks; every chunk but the last must be full.
    init(unindexedChunks: [[AccountState]]) {
        precondition(unindexedChunks.dropLast().allSatisfy { $0.count == Self.chunkSize }, "only the last chunk may be partial")
        chunks = unindexedChunks.filter { !$0.isEmpty }
        count = chunks.reduce(0) { $0 + $1.count }
        positions = count == 0 ? AccountIndex() : nil
    }

    public var isEmpty: Bool { count == 0 }

    /// Every state, in no particular order.
    public var values: Values { Values(chunks: chunks, count: count) }

    /// Every account id, in no particular order.
    public var ids: LazyMapSequence<Values, String> { values.lazy.map(\.accountID) }

    /// The states by position, without copying them out of their chunks.
    public struct Values: RandomAccessCollection, Sendable {
        let chunks: [[AccountState]]
        public let count: Int
        public var startIndex: Int { 0 }
        public var endIndex: Int { count }
        /// Read in place: reading one field (an id, on lookup) does not copy the whole state,
        /// with its strings and lists retained and released.
        public subscript(position: Int) -> AccountState {
            _read { yield chunks[position >> AccountTable.chunkShift][position & (AccountTable.chunkSize - 1)] }
        }
    }

    public mutating func reserveCapacity(_ capacity: Int) {
        ensureIndexed()
        positions!.reserveCapacity(capacity)
    }

    private func position(of id: String) -> Int? {
        guard let positions else { return values.firstIndex { $0.accountID == id } }
        return positions.find(hash: AccountIndex.hash(id)) { self[position: $0].accountID == id }
    }

    /// Adds a state while restoring a snapshot, leaving the table to be indexed when first used.
    mutating func appendUnindexed(_ state: AccountState) {
        positions = nil
        append(state)
    }

    private mutating func append(_ state: AccountState) {
        if chunks.isEmpty || chunks[chunks.count - 1].count == Self.chunkSize {
            var chunk: [AccountState] = []
            chunk.reserveCapacity(Self.chunkSize)
            chunks.append(chunk)
        }
        chunks[chunks.count - 1].append(state)
        count += 1
    }

    /// The state at `position`, mutated in place.
    private subscript(position position: Int) -> AccountState {
        _read { yield chunks[position >> Self.chunkShift][position & (Self.chunkSize - 1)] }
        _modify { yield &chunks[position >> Self.chunkShift][position & (Self.chunkSize - 1)] }
    }

    private mutating func removeLast() -> AccountState {
        let state = chunks[chunks.count - 1].removeLast()
        if chunks[chunks.count - 1].isEmpty { chunks.removeLast() }
        count -= 1
        return state
    }

    private mutating func ensureIndexed() {
        guard positions == nil else { return }
        var index = AccountIndex(capacity: count)
        var duplicated = false
        let states = values
        // Hashes first, then the slots, each asked for a few accounts ahead: the slots are spread
        // over the whole index, so each insert would otherwise wait on memory (after a restore of a
        // million accounts, once per account).
        // By position, not `map`: iterating copies each state out (strings and lists retained
        // and released), a sixth of a million-account restore.
        var hashes = [UInt32]()
        hashes.reserveCapacity(states.count)
        for position in 0..<states.count { hashes.append(AccountIndex.hash(states[position].accountID)) }
        let ahead = 8
        for position in hashes.indices {
            if position + ahead < hashes.count { index.prefetch(hash: hashes[position + ahead]) }
            let hash = hashes[position]
            if index.find(hash: hash, isAccount: { states[$0].accountID == states[position].accountID }) != nil {
                duplicated = true
                break
            }
            index.insert(hash: hash, position: position)
        }
        if duplicated {
            // The same id twice (only a damaged source could do it): the later state wins.
            var latest: [String: Int] = [:]
            for (position, state) in states.enumerated() { latest[state.accountID] = position }
            self = AccountTable(unindexed: latest.values.sorted().map { states[$0] })
            ensureIndexed()
            return
        }
        positions = index
    }

    public subscript(id: String) -> AccountState? {
        get { position(of: id).map { self[position: $0] } }
        set {
            ensureIndexed()
            let hash = AccountIndex.hash(id)
            let found = positions!.find(hash: hash) { self[position: $0].accountID == id }
            if let newValue {
                precondition(newValue.accountID == id, "an account is stored under its own id")
                if let found {
                    self[position: found] = newValue
                } else {
                    positions!.insert(hash: hash, position: count)
                    append(newValue)
                }
            } else if let found {
                // Swap-remove: the last state takes the freed position.
                positions!.remove(hash: hash, position: found)
                let last = removeLast()
                if found != count {
                    positions!.move(hash: AccountIndex.hash(last.accountID), from: count, to: found)
                    self[position: found] = last
                }
            }
        }
    }

    /// Runs `body` on the account's state in place, creating it with `make` when it is new: one
    /// index lookup and no copy of the state per event.
    public mutating func withAccount<Result>(
        id: String, hash known: UInt32? = nil, orInsert make: () -> AccountState, _ body: (inout AccountState) -> Result
    ) -> Result {
        ensureIndexed()
        let hash = known ?? AccountIndex.hash(id)
        let position: Int
        if let found = positions!.find(hash: hash, isAccount: { self[position: $0].accountID == id }) {
            position = found
        } else {
            position = count
            let state = make()
            precondition(state.accountID == id, "an account is stored under its own id")
            append(state)
            positions!.insert(hash: hash, position: position)
        }
        return body(&self[position: position])
    }

    /// Asks the processor to fetch the index slot where the account with this id hash is
    /// looked up (a hint for the batch path; nothing when the table is not indexed yet).
    func prefetchIndex(hash: UInt32) {
        positions?.prefetch(hash: hash)
    }

    /// Asks the processor to fetch the state of the account with this id hash, if indexed.
    func prefetchState(hash: UInt32) {
        withCandidateState(hash: hash) { state in
            // Every line the state spans (states are not aligned to cache lines): `update` reads
            // fields throughout it, its task and cached fit first. Fetching only the lines of the
            // words `prefetchContents` reads left the first of those reads waiting on memory, 42%
            // of `update`'s own samples at a million accounts.
            for offset in stride(from: 0, to: Self.stateSize, by: 64) { leadflow_prefetch(state + offset) }
            leadflow_prefetch(state + Self.stateSize - 1)
        }
    }

    /// Asks the processor to fetch the heap objects the account's state points to: its id
    /// (compared on lookup) and its lists' block.
    ///
    /// The addresses are read as raw words, not through `String` and `AccountLists`: taking a
    /// reference would retain the object, and the retain is itself a wait on the very memory
    /// the hint is meant to fetch. A word that is not a heap address (a short id stored inline,
    /// an account with no lists yet) only makes a useless hint; a prefetch never faults.
    func prefetchContents(hash: UInt32) {
        withCandidateState(hash: hash) { state in
            for offset in Self.heapWordOffsets {
                // The payload starts 32 bytes in, after the header (16 bytes in, on the line
                // before a quarter of the time), which `prefetchListBodies` reads.
                let address = Self.objectAddress(in: state, at: offset)
                leadflow_prefetch(UnsafeRawPointer(bitPattern: address &+ 16))
                leadflow_prefetch(UnsafeRawPointer(bitPattern: address &+ 32))
            }
        }
    }

    /// Asks the processor to fetch the whole of the account's lists' block, once
    /// `prefetchContents` has brought its first line (and with it the capacities).
    ///
    /// Scoring reads every tally and every surge on every event; the block spans up to a few
    /// dozen cache lines, and only the first was asked for, so the rest missed one after
    /// another as the scan reached them (at 10,000 accounts, most of the engine's own time in
    /// `update`). The capacities are read as raw words for the reason given above; a non-zero
    /// word always points to a live block, so reading it is safe.
    func prefetchListBodies(hash: UInt32) {
        withCandidateState(hash: hash) { state in
            guard let block = UnsafeRawPointer(bitPattern: Self.objectAddress(in: state, at: Self.listsOffset)) else { return }
            // The block: object header, `AccountLists.Header`, then the lists from 32 bytes in.
            let capacities = block + 16 + Self.capacitiesOffset
            let bytes = AccountLists.elementBytes(
                tallies: Int(capacities.load(as: UInt16.self)), people: Int(capacities.load(fromByteOffset: 2, as: UInt16.self)),
                surges: Int(capacities.load(fromByteOffset: 4, as: UInt16.self)))
            // The first line came with `prefetchContents`.
            for line in stride(from: 64, to: Swift.min(bytes, 4096), by: 64) { leadflow_prefetch(block + 32 + line) }
        }
    }

    /// The state of the first account indexed with this id hash (on a collision of 32-bit
    /// hashes, another account's: fine for a hint), if any.
    private func withCandidateState(hash: UInt32, _ body: (UnsafeRawPointer) -> Void) {
        guard let position = positions?.candidate(hash: hash) else { return }
        chunks[position >> Self.chunkShift].withUnsafeBufferPointer { chunk in
            body(UnsafeRawPointer(chunk.baseAddress! + (position & (Self.chunkSize - 1))))
        }
    }

    /// The heap object a state's word at `offset` points to; object pointers keep flags in
    /// their top byte and low bits.
    private static func objectAddress(in state: UnsafeRawPointer, at offset: Int) -> UInt {
        state.load(fromByteOffset: offset, as: UInt.self) & 0x00FF_FFFF_FFFF_FFF0
    }

    /// The bytes of one state, whose lines `prefetchState` asks for.
    private static let stateSize = MemoryLayout<AccountState>.size

    /// Where in an `AccountState` the words pointing to its id's and lists' heap objects are.
    private static let heapWordOffsets: [Int] = [MemoryLayout<AccountState>.offset(of: \.accountID)! + 8, listsOffset]

    /// Where the lists' block word sits in an `AccountState`.
    private static let listsOffset = MemoryLayout<AccountState>.offset(of: \.lists)!

    /// Where the three capacities sit in an `AccountLists.Header`.
    private static let capacitiesOffset = MemoryLayout<AccountLists.Header>.offset(of: \.capacity)!

    /// The accounts that satisfy `isIncluded`, unindexed (for snapshots). A full chunk whose
    /// accounts all qualify is shared with this table rather than copied.
    public func filter(_ isIncluded: (AccountState) -> Bool) -> AccountTable {
        var result = AccountTable()
        var partial: [AccountState] = []
        for chunk in chunks {
            if chunk.count == Self.chunkSize && chunk.allSatisfy(isIncluded) {
                result.chunks.append(chunk)
                result.count += chunk.count
            } else {
                partial.append(contentsOf: chunk.lazy.filter(isIncluded))
            }
        }
        // Shared chunks first, then the rest: every chunk but the last stays full.
        for state in partial { result.append(state) }
        result.positions = result.count == 0 ? AccountIndex() : nil
        return result
    }

    /// Removes the accounts `group` gives a group to and returns each group as a table of its
    /// own (unindexed): one pass and one rebuild, however many groups. Revoking 64 tasks one at a
    /// time rebuilt the remaining table 64 times (5 s at 300,000 accounts).
    public mutating func remove(groupedBy group: (AccountState) -> Int32?) -> [Int32: AccountTable] {
        var groups: [Int32: AccountTable] = [:]
        var kept: [AccountState] = []
        kept.reserveCapacity(count)
        for state in values {
            if let key = group(state) {
                groups[key, default: AccountTable()].appendUnindexed(state)
            } else {
                kept.append(state)
            }
        }
        guard !groups.isEmpty else { return [:] }
        self = AccountTable(unindexed: kept)
        ensureIndexed()
        return groups
    }

    public mutating func removeAll(where shouldRemove: (AccountState) -> Bool) {
        guard values.contains(where: shouldRemove) else { return }
        self = AccountTable(unindexed: values.filter { !shouldRemove($0) })
        ensureIndexed()
    }

    /// Adds or replaces every account of `other`.
    public mutating func merge(_ other: AccountTable) {
        if isEmpty {
            self = other
            ensureIndexed()
            return
        }
        reserveCapacity(count + other.count)
        for state in other.values { self[state.accountID] = state }
    }
}

extension AccountTable: Sequence {
    public func makeIterator() -> IndexingIterator<Values> { values.makeIterator() }
    public var underestimatedCount: Int { count }
}

extension AccountTable: Equatable {
    /// The same accounts with the same states, whatever their order.
    public static func == (lhs: AccountTable, rhs: AccountTable) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var indexed = rhs
        indexed.ensureIndexed()
        return lhs.values.allSatisfy { state in indexed[state.accountID] == state }
    }
}
