/// One of the three kinds of list an account keeps.
public protocol AccountListElement: Sendable, Hashable {
    static var list: AccountLists.Kind { get }
}

extension SignalTally: AccountListElement { public static var list: AccountLists.Kind { .tallies } }
extension EngagedPerson: AccountListElement { public static var list: AccountLists.Kind { .people } }
extension TopicSurge: AccountListElement { public static var list: AccountLists.Kind { .surges } }

/// An account's signal tallies, engaged people and surge trackers, kept together in one heap
/// block with copy-on-write value semantics.
///
/// As three arrays, each list was a heap object of its own with 48 bytes of headers, and the
/// engine waited on three cache misses per event to find them. Here the three lie one after
/// another behind a single 32-byte header, each with exactly the room it holds: a list grows by
/// one element when the account sees a new signal, person or topic, which is rare once an
/// account is known, so the copy then costs little.
///
/// Sendable as `Array` is: a block is written only through a value holding the sole
/// reference to it, so a copy handed to another thread (a snapshot's) is never written under it.
public struct AccountLists: @unchecked Sendable {
    public enum Kind: Int, Sendable { case tallies = 0, people = 1, surges = 2 }

    /// Counts and capacities of the three lists, in elements. The snapshot layout counts each
    /// list in 16 bits, so 16 bits are enough here too.
    struct Header {
        var count: (UInt16, UInt16, UInt16) = (0, 0, 0)
        var capacity: (UInt16, UInt16, UInt16) = (0, 0, 0)
    }

    /// Room in each list, in elements, while a block is resized: a value, so resizing allocates
    /// nothing but the block (an array here cost a heap allocation per restored account).
    struct Capacities: Equatable {
        var tallies = 0, people = 0, surges = 0

        subscript(kind: Kind) -> Int {
            get {
                switch kind {
                case .tallies: tallies
                case .people: people
                case .surges: surges
                }
            }
            set {
                switch kind {
                case .tallies: tallies = newValue
                case .people: people = newValue
                case .surges: surges = newValue
                }
            }
        }

        var fitInHeader: Bool { max(tallies, people, surges) <= Int(UInt16.max) }
    }

    /// The block: the header, then the tallies, the people and the surges, each list starting
    /// where the capacity of the one before ends. Elements are words, so every list is 8-byte
    /// aligned (every element's stride is a multiple of 8).
    final class Storage: ManagedBuffer<Header, UInt64> {
        deinit {
            withUnsafeMutablePointers { header, words in
                AccountLists.deinitialize(header.pointee, at: UnsafeMutableRawPointer(words))
            }
        }
    }

    private var storage: Storage?

    public init() {}

    // MARK: Reading

    public func count(_ kind: Kind) -> Int {
        storage?.withUnsafeMutablePointerToHeader { Self.count(of: kind, in: $0.pointee) } ?? 0
    }

    /// Runs `body` on one list's elements in place.
    func withBuffer<Element: AccountListElement, Result>(
        of type: Element.Type, _ body: (UnsafeBufferPointer<Element>) throws -> Result
    ) rethrows -> Result {
        guard let storage else { return try body(UnsafeBufferPointer(start: nil, count: 0)) }
        return try storage.withUnsafeMutablePointers { header, words in
            let start = Self.start(of: Element.self, in: header.pointee, at: UnsafeMutableRawPointer(words))
            return try body(UnsafeBufferPointer(start: start, count: Self.count(of: Element.list, in: header.pointee)))
        }
    }

    // MARK: Changing

    /// Runs `body` on the element at `index` of its list, in place (copying the block first if
    /// another value shares it).
    mutating func modify<Element: AccountListElement, Result>(
        _ type: Element.Type, at index: Int, _ body: (inout Element) throws -> Result
    ) rethrows -> Result {
        makeUnique()
        return try storage!.withUnsafeMutablePointers { header, words in
            precondition(index >= 0 && index < Self.count(of: Element.list, in: header.pointee), "list index out of range")
            let start = Self.start(of: Element.self, in: header.pointee, at: UnsafeMutableRawPointer(words))
            return try body(&start[index])
        }
    }

    /// Adds an element at the end of its list.
    public mutating func append<Element: AccountListElement>(_ element: Element) {
        let kind = Element.list
        let header = storage?.header ?? Header()
        if Self.count(of: kind, in: header) < Self.capacities(of: header)[kind] {
            makeUnique()
        } else {
            var capacities = Self.capacities(of: header)
            capacities[kind] += 1
            precondition(capacities.fitInHeader, "an account list holds at most 65,535 elements")
            reallocate(capacities: capacities)
        }
        storage!.withUnsafeMutablePointers { header, words in
            let start = Self.start(of: Element.self, in: header.pointee, at: UnsafeMutableRawPointer(words))
            let count = Self.count(of: kind, in: header.pointee)
            (start + count).initialize(to: element)
            Self.setCount(count + 1, of: kind, in: &header.pointee)
        }
    }

    /// Replaces one list's elements (rare: trimming the people list), leaving the others.
    mutating func replace<Element: AccountListElement>(_ type: Element.Type, with elements: [Element]) {
        let kind = Element.list
        let header = storage?.header ?? Header()
        var capacities = Self.capacities(of: header)
        capacities[kind] = elements.count
        precondition(capacities.fitInHeader, "an account list holds at most 65,535 elements")
        reallocate(capacities: capacities, dropping: kind)
        storage!.withUnsafeMutablePointers { header, words in
            let start = Self.start(of: Element.self, in: header.pointee, at: UnsafeMutableRawPointer(words))
            for (index, element) in elements.enumerated() { (start + index).initialize(to: element) }
            Self.setCount(elements.count, of: kind, in: &header.pointee)
        }
    }

    /// Makes room for exactly these many elements in each list, in one allocation (a restore
    /// knows every list's size before it decodes the first).
    mutating func reserve(tallies: Int, people: Int, surges: Int) {
        let current = Self.capacities(of: storage?.header ?? Header())
        let wanted = Capacities(
            tallies: max(tallies, current.tallies), people: max(people, current.people), surges: max(surges, current.surges))
        guard wanted != current else { return }
        precondition(wanted.fitInHeader, "an account list holds at most 65,535 elements")
        reallocate(capacities: wanted)
    }

    private mutating func makeUnique() {
        guard storage != nil, !isKnownUniquelyReferenced(&storage) else { return }
        reallocate(capacities: Self.capacities(of: storage!.header))
    }

    /// Moves (when this value holds the only reference) or copies every list into a new block
    /// with these capacities; the list `dropping` names starts empty.
    private mutating func reallocate(capacities: Capacities, dropping: Kind? = nil) {
        let words = Self.elementBytes(tallies: capacities.tallies, people: capacities.people, surges: capacities.surges) / 8
        let fresh = unsafeDowncast(
            Storage.create(minimumCapacity: max(words, 1)) { _ in
                var header = Header()
                header.capacity = (UInt16(capacities.tallies), UInt16(capacities.people), UInt16(capacities.surges))
                return header
            }, to: Storage.self)
        if storage != nil {
            let unique = isKnownUniquelyReferenced(&storage)
            let old = storage!
            old.withUnsafeMutablePointers { oldHeader, oldWords in
                fresh.withUnsafeMutablePointers { newHeader, newWords in
                    let from = UnsafeMutableRawPointer(oldWords), to = UnsafeMutableRawPointer(newWords)
                    Self.transfer(SignalTally.self, from: &oldHeader.pointee, at: from, to: &newHeader.pointee, at: to, move: unique, drop: dropping)
                    Self.transfer(EngagedPerson.self, from: &oldHeader.pointee, at: from, to: &newHeader.pointee, at: to, move: unique, drop: dropping)
                    Self.transfer(TopicSurge.self, from: &oldHeader.pointee, at: from, to: &newHeader.pointee, at: to, move: unique, drop: dropping)
                }
            }
        }
        storage = fresh
    }

    private static func transfer<Element: AccountListElement>(
        _ type: Element.Type, from old: inout Header, at oldBase: UnsafeMutableRawPointer,
        to new: inout Header, at newBase: UnsafeMutableRawPointer, move: Bool, drop: Kind?
    ) {
        let kind = Element.list
        let count = Self.count(of: kind, in: old)
        let source = start(of: Element.self, in: old, at: oldBase)
        if drop == kind {
            // Elements of a replaced list: gone with the old block when it is ours alone.
            if move {
                source.deinitialize(count: count)
                setCount(0, of: kind, in: &old)
            }
            return
        }
        let target = start(of: Element.self, in: new, at: newBase)
        if move {
            target.moveInitialize(from: source, count: count)
            // The old block must not deinitialize what moved out of it.
            setCount(0, of: kind, in: &old)
        } else {
            target.initialize(from: source, count: count)
        }
        setCount(count, of: kind, in: &new)
    }

    // MARK: Layout

    /// The bytes a block's lists take at these capacities (every stride is a multiple of 8).
    @inline(__always)
    static func elementBytes(tallies: Int, people: Int, surges: Int) -> Int {
        tallies * MemoryLayout<SignalTally>.stride + people * MemoryLayout<EngagedPerson>.stride + surges * MemoryLayout<TopicSurge>.stride
    }

    static func count(of kind: Kind, in header: Header) -> Int {
        switch kind {
        case .tallies: Int(header.count.0)
        case .people: Int(header.count.1)
        case .surges: Int(header.count.2)
        }
    }

    private static func setCount(_ count: Int, of kind: Kind, in header: inout Header) {
        switch kind {
        case .tallies: header.count.0 = UInt16(count)
        case .people: header.count.1 = UInt16(count)
        case .surges: header.count.2 = UInt16(count)
        }
    }

    static func capacities(of header: Header) -> Capacities {
        Capacities(tallies: Int(header.capacity.0), people: Int(header.capacity.1), surges: Int(header.capacity.2))
    }

    /// Where a list starts: after the capacities of the lists before it.
    private static func start<Element: AccountListElement>(
        of type: Element.Type, in header: Header, at base: UnsafeMutableRawPointer
    ) -> UnsafeMutablePointer<Element> {
        let offset: Int = switch Element.list {
        case .tallies: 0
        case .people: elementBytes(tallies: Int(header.capacity.0), people: 0, surges: 0)
        case .surges: elementBytes(tallies: Int(header.capacity.0), people: Int(header.capacity.1), surges: 0)
        }
        return (base + offset).assumingMemoryBound(to: Element.self)
    }

    private static func deinitialize(_ header: Header, at base: UnsafeMutableRawPointer) {
        start(of: SignalTally.self, in: header, at: base).deinitialize(count: count(of: .tallies, in: header))
        start(of: EngagedPerson.self, in: header, at: base).deinitialize(count: count(of: .people, in: header))
        start(of: TopicSurge.self, in: header, at: base).deinitialize(count: count(of: .surges, in: header))
    }
}

extension AccountLists: Hashable {
    public static func == (lhs: AccountLists, rhs: AccountLists) -> Bool {
        lhs.withBuffer(of: SignalTally.self) { left in rhs.withBuffer(of: SignalTally.self) { left.elementsEqual($0) } }
            && lhs.withBuffer(of: EngagedPerson.self) { left in rhs.withBuffer(of: EngagedPerson.self) { left.elementsEqual($0) } }
            && lhs.withBuffer(of: TopicSurge.self) { left in rhs.withBuffer(of: TopicSurge.self) { left.elementsEqual($0) } }
    }

    public func hash(into hasher: inout Hasher) {
        withBuffer(of: SignalTally.self) { for element in $0 { hasher.combine(element) } }
        withBuffer(of: EngagedPerson.self) { for element in $0 { hasher.combine(element) } }
        withBuffer(of: TopicSurge.self) { for element in $0 { hasher.combine(element) } }
        hasher.combine(count(.tallies))
        hasher.combine(count(.people))
        hasher.combine(count(.surges))
    }
}

/// One of an account's lists, read in place: what `AccountState.tallies`, `.people` and
/// `.surges` return. Changes go through the account (`AccountState.append` and friends), so
/// the block is copied first when a snapshot shares it.
public struct AccountList<Element: AccountListElement>: RandomAccessCollection, Sendable {
    let lists: AccountLists

    public var startIndex: Int { 0 }
    public var endIndex: Int { lists.count(Element.list) }

    public subscript(position: Int) -> Element {
        lists.withBuffer(of: Element.self) { buffer in
            precondition(position >= 0 && position < buffer.count, "list index out of range")
            return buffer[position]
        }
    }

    public func withUnsafeBufferPointer<Result>(_ body: (UnsafeBufferPointer<Element>) throws -> Result) rethrows -> Result {
        try lists.withBuffer(of: Element.self, body)
    }
}
