import Dispatch
import Foundation
import Synchronization

/// Engine state to bytes and back, for snapshots. Little-endian, length-prefixed, accounts in
/// id order so the same state always gives the same bytes. The layout is documented in
/// the README ("Snapshots"); bump `formatVersion` when it changes.
public enum StateCodec {
    public static let formatVersion: UInt32 = 2
    /// The layouts this build decodes: version 1 is version 2 without the block lengths.
    public static let readableVersions: ClosedRange<UInt32> = 1...formatVersion

    public struct Corrupt: Error, CustomStringConvertible {
        public var description: String
    }

    public static func encode(_ state: EngineState) -> [UInt8] {
        var out = ByteWriter(capacity: estimatedSize(state))
        encode(state, into: &out)
        return out.takeBytes()
    }

    /// A generous guess of the encoded size, so the writer rarely grows.
    public static func estimatedSize(_ state: EngineState) -> Int {
        64 + state.accounts.count * 256 + state.heldVisitors.count * 512 + state.identifiedVisitors.count * 96
    }

    public static func encode(_ state: EngineState, into out: inout ByteWriter) {
        encode(state, into: &out, piecesOf: .max) { _ in }
    }

    /// Encodes in pieces: after each block of accounts, once `out` holds at least `pieceSize`
    /// bytes, they go to `flush` and `out` is emptied; what remains at the end stays in `out`.
    /// The bytes are the same as encoding at once, but memory stays at about a piece instead of
    /// the whole encoding (hundreds of megabytes at a million accounts).
    public static func encode(
        _ state: EngineState, into out: inout ByteWriter, piecesOf pieceSize: Int, flush: (UnsafeRawBufferPointer) throws -> Void
    ) rethrows {
        out.u32(UInt32(state.accounts.count))
        let accounts = state.accounts.values
        // Version 2: blocks of `AccountTable.chunkSize` accounts, each after its byte length, so
        // restoring decodes them in parallel, each straight into a chunk of the table.
        let order = byteOrder(accounts, key: \.accountID)
        // Taken after the state was copied, so it names every signal the state numbers.
        let names = SignalID.allNames()
        for blockStart in stride(from: 0, to: order.count, by: AccountTable.chunkSize) {
            let lengthOffset = out.count
            out.u64(0)
            for index in order[blockStart..<min(blockStart + AccountTable.chunkSize, order.count)] {
                encodeAccount(accounts[index], names: names, into: &out)
            }
            out.patchU64(UInt64(out.count - lengthOffset - 8), at: lengthOffset)
            if out.count >= pieceSize { try out.drain(flush) }
        }
        out.u32(UInt32(state.heldVisitors.count))
        for index in byteOrder(state.heldVisitors.keys, key: { $0 }) {
            let visitor = state.heldVisitors.keys[index]
            let held = state.heldVisitors.values[index]
            out.string(visitor)
            out.i32(held.task)
            out.i64(held.lastSeen.milliseconds)
            out.u16(UInt16(held.pageViews.count))
            for view in held.pageViews {
                out.string(view.eventID)
                out.i64(view.occurredAt.milliseconds)
                out.string(view.visitorID)
                out.string(view.url)
                out.optionalString(view.accountDomain)
                out.optionalString(view.ip)
                out.optionalString(view.referrer)
                out.optionalString(view.title)
                out.optionalI64(view.engagedMilliseconds)
                out.optionalString(view.email)
            }
        }
        out.u32(UInt32(state.identifiedVisitors.count))
        for index in byteOrder(state.identifiedVisitors.keys, key: { $0 }) {
            let visitor = state.identifiedVisitors.keys[index]
            let known = state.identifiedVisitors.values[index]
            out.string(visitor)
            out.string(known.accountID)
            out.string(known.domain)
            out.u8(known.isMatched ? 1 : 0)
            out.u64(known.personKey)
            out.f64(known.contactPoints)
            out.i64(known.lastSeen.milliseconds)
            out.i32(known.task)
        }
        out.optionalI64(state.newestEventTime?.milliseconds)
    }

    /// The indices of `items` in the byte order of their keys' UTF-8, so equal states encode to
    /// equal bytes. Sorted on the first sixteen bytes as two integers, the full keys only on ties:
    /// a million string comparisons would cost more than the rest of the encoding.
    static func byteOrder<Items: Collection>(_ items: Items, key: (Items.Element) -> String) -> [Items.Index] {
        var entries: [(high: UInt64, low: UInt64, index: Items.Index)] = []
        entries.reserveCapacity(items.count)
        for index in items.indices {
            var high: UInt64 = 0
            var low: UInt64 = 0
            var position = 0
            for byte in key(items[index]).utf8 {
                if position < 8 {
                    high |= UInt64(byte) << (56 - 8 * position)
                } else if position < 16 {
                    low |= UInt64(byte) << (56 - 8 * (position - 8))
                } else {
                    break
                }
                position += 1
            }
            entries.append((high, low, index))
        }
        entries.sort { left, right in
            if left.high != right.high { return left.high < right.high }
            if left.low != right.low { return left.low < right.low }
            return key(items[left.index]).utf8.lexicographicallyPrecedes(key(items[right.index]).utf8)
        }
        return entries.map(\.index)
    }

    /// One account, as version 2 and version 1 both lay it out.
    /// `names` is `SignalID.allNames()`, read once for many accounts.
    static func encodeAccount(_ account: AccountState, names: [String] = SignalID.allNames(), into out: inout ByteWriter) {
        out.string(account.accountID)
        account.withDomainUTF8 { out.string(utf8: $0) }
        out.u8(account.isMatched ? 1 : 0)
        out.u8(UInt8(account.band.rawValue))
        out.i32(account.task)
        out.i64(account.lastEventAt.milliseconds)
        out.i64(Int64(account.eventCount))
        out.optionalI64(account.lastRoutedAt?.milliseconds)
        out.u8(account.lastRoutedBand.map { UInt8($0.rawValue) } ?? 255)
        out.u16(UInt16(account.tallies.count))
        for tally in account.tallies {
            out.string(names[Int(tally.signalID.raw)])
            out.u8(tally.signalClass.rawValue)
            out.f64(tally.count.value)
            out.i64(tally.count.referenceTime.milliseconds)
            out.string(tally.lastEventID)
            out.i64(tally.lastOccurredAt.milliseconds)
        }
        out.u16(UInt16(account.people.count))
        for person in account.people {
            out.u64(person.key)
            out.i64(person.lastSeen.milliseconds)
            out.f64(person.contactPoints)
            out.i64(person.contactAt.milliseconds)
        }
        out.u16(UInt16(account.surges.count))
        for surge in account.surges {
            out.string(surge.topic)
            out.u8(surge.source == .firstParty ? 0 : 1)
            out.u8(surge.active ? 1 : 0)
            out.f64(surge.baseline)
            out.i64(surge.lastObservedAt.milliseconds)
            out.i64(Int64(surge.observations))
            out.f64(surge.recent.value)
            out.i64(surge.recent.referenceTime.milliseconds)
            out.f64(surge.longTerm.value)
            out.i64(surge.longTerm.referenceTime.milliseconds)
            out.i64(surge.cooldownUntil.milliseconds)
            out.f64(surge.lastCurrent)
            out.f64(surge.lastBaseline)
        }
    }

    /// `signals` numbers the signal names of the block being decoded (see `SignalNameCache`).
    static func decodeAccount(from input: inout ByteReader, signals: inout SignalNameCache) throws(Corrupt) -> AccountState {
        var id = try input.string()
        // A new logo's domain is the tail of its id, and its state keeps no copy of it: the
        // bytes are compared, not made into a string only to be dropped.
        var isNewLogo = false
        var failure: Corrupt?
        id.withUTF8 { bytes in
            guard AccountState.startsWithNewLogoPrefix(bytes) else { return }
            do throws(Corrupt) {
                isNewLogo = try input.skipString(ifEqualTo: UnsafeBufferPointer(rebasing: bytes.dropFirst(AccountState.newLogoPrefixLength)))
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        var account = isNewLogo
            ? AccountState(newLogoID: id, isMatched: try input.u8() == 1)
            : AccountState(accountID: id, domain: try input.string(), isMatched: try input.u8() == 1)
        guard let band = Band(rawValue: Int(try input.u8())) else { throw Corrupt(description: "invalid band") }
        account.band = band
        account.task = try input.i32()
        account.lastEventAt = EventTime(milliseconds: try input.i64())
        account.eventCount = Int(try input.i64())
        account.lastRoutedAt = try input.optionalI64().map(EventTime.init)
        let routedBand = try input.u8()
        account.lastRoutedBand = routedBand == 255 ? nil : Band(rawValue: Int(routedBand))
        // The three lists share one block, sized once: a look ahead past the tallies and the
        // people finds the other two counts.
        let tallies = Int(try input.u16())
        var ahead = input
        for _ in 0..<tallies {
            try ahead.skipString()
            try ahead.skip(1 + 8 + 8)
            try ahead.skipString()
            try ahead.skip(8)
        }
        let people = Int(try ahead.u16())
        try ahead.skip(people * 4 * 8)  // key, last seen, contact points and contact time
        account.lists.reserve(tallies: tallies, people: people, surges: Int(try ahead.u16()))
        for _ in 0..<tallies {
            let signal = try signals.id(for: &input)
            guard let signalClass = SignalClass(rawValue: try input.u8()) else { throw Corrupt(description: "invalid signal class") }
            let count = DecayedSum(value: try input.f64(), referenceTime: EventTime(milliseconds: try input.i64()))
            account.append(SignalTally(
                signalID: signal, signalClass: signalClass, count: count, lastEventID: try input.string(),
                lastOccurredAt: EventTime(milliseconds: try input.i64())))
        }
        for _ in 0..<(try input.u16()) {
            account.append(EngagedPerson(
                key: try input.u64(), lastSeen: EventTime(milliseconds: try input.i64()), contactPoints: try input.f64(),
                contactAt: EventTime(milliseconds: try input.i64())))
        }
        for _ in 0..<(try input.u16()) {
            var surge = TopicSurge(topic: try input.string(), source: try input.u8() == 0 ? .firstParty : .thirdParty)
            surge.active = try input.u8() == 1
            surge.baseline = try input.f64()
            surge.lastObservedAt = EventTime(milliseconds: try input.i64())
            surge.observations = Int32(clamping: try input.i64())
            surge.recent = DecayedSum(value: try input.f64(), referenceTime: EventTime(milliseconds: try input.i64()))
            surge.longTerm = DecayedSum(value: try input.f64(), referenceTime: EventTime(milliseconds: try input.i64()))
            surge.cooldownUntil = EventTime(milliseconds: try input.i64())
            surge.lastCurrent = try input.f64()
            surge.lastBaseline = try input.f64()
            account.append(surge)
        }
        return account
    }

    /// The blocks of version 2, decoded on every core: a million accounts restore in about half
    /// the time. Each block becomes one chunk of the account table.
    static func decodeBlocks(from input: inout ByteReader, accounts: Int) throws(Corrupt) -> [[AccountState]] {
        var blocks: [(source: ByteSource, start: Int, end: Int, accounts: Int)] = []
        var remaining = accounts
        while remaining > 0 {
            let length = Int(try input.u64())
            let start = input.offset
            try input.skip(length)
            blocks.append((input.source, start, start + length, min(remaining, AccountTable.chunkSize)))
            remaining -= AccountTable.chunkSize
        }
        return try decodeBlocks(blocks)
    }

    /// Decodes each block into one chunk, the blocks in parallel; `firstIndex` numbers them in
    /// error messages.
    static func decodeBlocks(
        _ blocks: [(source: ByteSource, start: Int, end: Int, accounts: Int)], firstIndex: Int = 0
    ) throws(Corrupt) -> [[AccountState]] {
        let results = Mutex([Result<[AccountState], Corrupt>?](repeating: nil, count: blocks.count))
        DispatchQueue.concurrentPerform(iterations: blocks.count) { index in
            let block = blocks[index]
            let result = Result { () throws(Corrupt) -> [AccountState] in
                var reader = ByteReader(source: block.source, offset: block.start, end: block.end)
                var chunk: [AccountState] = []
                chunk.reserveCapacity(AccountTable.chunkSize)
                var signals = SignalNameCache()
                for _ in 0..<block.accounts { chunk.append(try decodeAccount(from: &reader, signals: &signals)) }
                guard reader.isAtEnd else {
                    throw Corrupt(description: "block \(firstIndex + index) has \(reader.end - reader.offset) unexpected trailing bytes")
                }
                return chunk
            }
            results.withLock { $0[index] = result }
        }
        return try results.withLock { results throws(Corrupt) in try results.map { result throws(Corrupt) in try result!.get() } }
    }

    public static func decode(_ bytes: [UInt8]) throws(Corrupt) -> EngineState {
        var input = ByteReader(bytes: bytes)
        let state = try decode(from: &input)
        guard input.isAtEnd else { throw Corrupt(description: "\(input.end - input.offset) unexpected trailing bytes") }
        return state
    }

    /// Reads one state laid out as `version` (1 or 2); the caller checks what follows it.
    public static func decode(from input: inout ByteReader, version: UInt32 = formatVersion) throws(Corrupt) -> EngineState {
        try checkReadable(version)
        var state = EngineState()
        let accountCount = try input.u32()
        if version == 1 {
            var signals = SignalNameCache()
            for _ in 0..<accountCount { state.accounts.appendUnindexed(try decodeAccount(from: &input, signals: &signals)) }
        } else {
            // Indexed when merged into an engine, not here: restoring reads every account once.
            state.accounts = AccountTable(unindexedChunks: try decodeBlocks(from: &input, accounts: Int(accountCount)))
        }
        try decodeVisitors(from: &input, into: &state)
        return state
    }

    /// What follows the accounts: held and identified visitors and the newest event time.
    static func decodeVisitors(from input: inout ByteReader, into state: inout EngineState) throws(Corrupt) {
        for _ in 0..<(try input.u32()) {
            let visitor = try input.string()
            var held = HeldVisitor()
            held.task = try input.i32()
            held.lastSeen = EventTime(milliseconds: try input.i64())
            for _ in 0..<(try input.u16()) {
                held.pageViews.append(PageView(
                    eventID: try input.string(), occurredAt: EventTime(milliseconds: try input.i64()), visitorID: try input.string(),
                    url: try input.string(), accountDomain: try input.optionalString(), ip: try input.optionalString(),
                    referrer: try input.optionalString(), title: try input.optionalString(), engagedMilliseconds: try input.optionalI64(),
                    email: try input.optionalString()))
            }
            state.heldVisitors[visitor] = held
        }
        for _ in 0..<(try input.u32()) {
            let visitor = try input.string()
            state.identifiedVisitors[visitor] = IdentifiedVisitor(
                accountID: try input.string(), domain: try input.string(), isMatched: try input.u8() == 1, personKey: try input.u64(),
                contactPoints: try input.f64(), lastSeen: EventTime(milliseconds: try input.i64()), task: try input.i32())
        }
        state.newestEventTime = try input.optionalI64().map(EventTime.init)
    }

    static func checkReadable(_ version: UInt32) throws(Corrupt) {
        guard readableVersions.contains(version) else {
            throw Corrupt(description: "format version \(version); this Leadflow reads \(readableVersions.lowerBound) to \(readableVersions.upperBound)")
        }
    }

    /// Decodes a body of `length` bytes laid out as `version`, taking its bytes in order from
    /// `next`, which returns exactly the next `count` bytes or throws. Version 2's blocks are
    /// taken a few at a time and decoded on every core, so the memory holding the encoding
    /// stays at a few blocks, reused, instead of the whole body (hundreds of megabytes of fresh
    /// pages at a million accounts).
    public static func decode(length: Int, version: UInt32, reading next: (Int) throws -> ByteSource) throws -> EngineState {
        try checkReadable(version)
        var remaining = length
        func take(_ count: Int) throws -> ByteReader {
            guard count >= 0, count <= remaining else {
                throw Corrupt(description: "truncated: needed \(count) bytes at offset \(length - remaining) of \(length)")
            }
            remaining -= count
            return ByteReader(source: try next(count))
        }
        if version == 1 {
            var input = try take(remaining)
            let state = try decode(from: &input, version: version)
            guard input.isAtEnd else { throw Corrupt(description: "\(input.end - input.offset) unexpected trailing bytes") }
            return state
        }
        var count = try take(4)
        var accounts = Int(try count.u32())
        var chunks: [[AccountState]] = []
        chunks.reserveCapacity(accounts / AccountTable.chunkSize + 1)
        let wave = 2 * ProcessInfo.processInfo.activeProcessorCount
        while accounts > 0 {
            var blocks: [(source: ByteSource, start: Int, end: Int, accounts: Int)] = []
            while accounts > 0 && blocks.count < wave {
                var header = try take(8)
                let blockLength = try header.u64()
                guard blockLength <= UInt64(remaining) else {
                    throw Corrupt(description: "truncated: a block of \(blockLength) bytes at offset \(length - remaining) of \(length)")
                }
                let block = try take(Int(blockLength)).source
                blocks.append((block, 0, block.count, min(accounts, AccountTable.chunkSize)))
                accounts -= AccountTable.chunkSize
            }
            chunks.append(contentsOf: try decodeBlocks(blocks, firstIndex: chunks.count))
        }
        var state = EngineState()
        // Indexed when merged into an engine, not here: restoring reads every account once.
        state.accounts = AccountTable(unindexedChunks: chunks)
        var tail = try take(remaining)
        try decodeVisitors(from: &tail, into: &state)
        guard tail.isAtEnd else { throw Corrupt(description: "\(tail.end - tail.offset) unexpected trailing bytes") }
        return state
    }
}

/// The signal names one decoder has met, with their numbers, compared as bytes.
///
/// A snapshot spells every tally's signal name, and a million accounts hold a few million
/// tallies over a few dozen names. Making each name a string and numbering it through
/// `SignalID`'s shared table hashed it and took a lock that the decoding threads contended for
/// (a tenth of a restore); here a name already met is found by its bytes. The cache stops
/// growing at `limit` names, so a snapshot with many distinct intent topics costs a bounded
/// scan per tally.
struct SignalNameCache {
    private var names: [(bytes: [UInt8], id: SignalID)] = []
    private static var limit: Int { 64 }

    /// The number of the next string in `input`, a signal name.
    mutating func id(for input: inout ByteReader) throws(StateCodec.Corrupt) -> SignalID {
        let (bytes, offset) = try input.stringBytes()
        for known in names where known.bytes.withUnsafeBufferPointer({ sameBytes($0, bytes) }) {
            return known.id
        }
        let id = SignalID(try ByteReader.string(bytes, at: offset))
        if names.count < Self.limit { names.append((Array(bytes), id)) }
        return id
    }
}
