/// Engine state to bytes and back, for snapshots. Little-endian, length-prefixed, accounts in
/// id order so the same state always gives the same bytes. The layout is documented in
/// the README ("Snapshots"); bump `formatVersion` when it changes.
public enum StateCodec {
    public static let formatVersion: UInt32 = 1

    public struct Corrupt: Error, CustomStringConvertible {
        public var description: String
    }

    public static func encode(_ state: EngineState) -> [UInt8] {
        var out = ByteWriter()
        out.u32(UInt32(state.accounts.count))
        for id in state.accounts.keys.sorted() {
            let account = state.accounts[id]!
            out.string(account.accountID)
            out.string(account.domain)
            out.u8(account.isMatched ? 1 : 0)
            out.u8(UInt8(account.band.rawValue))
            out.i32(account.task)
            out.i64(account.lastEventAt.milliseconds)
            out.i64(Int64(account.eventCount))
            out.optionalI64(account.lastRoutedAt?.milliseconds)
            out.u8(account.lastRoutedBand.map { UInt8($0.rawValue) } ?? 255)
            out.u16(UInt16(account.tallies.count))
            for tally in account.tallies {
                out.string(tally.signal)
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
        out.u32(UInt32(state.heldVisitors.count))
        for visitor in state.heldVisitors.keys.sorted() {
            let held = state.heldVisitors[visitor]!
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
        for visitor in state.identifiedVisitors.keys.sorted() {
            let known = state.identifiedVisitors[visitor]!
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
        return out.bytes
    }

    public static func decode(_ bytes: [UInt8]) throws(Corrupt) -> EngineState {
        var input = ByteReader(bytes: bytes)
        var state = EngineState()
        let accounts = try input.u32()
        state.accounts.reserveCapacity(Int(accounts))
        for _ in 0..<accounts {
            var account = AccountState(accountID: try input.string(), domain: try input.string(), isMatched: try input.u8() == 1)
            guard let band = Band(rawValue: Int(try input.u8())) else { throw Corrupt(description: "invalid band") }
            account.band = band
            account.task = try input.i32()
            account.lastEventAt = EventTime(milliseconds: try input.i64())
            account.eventCount = Int(try input.i64())
            account.lastRoutedAt = try input.optionalI64().map(EventTime.init)
            let routedBand = try input.u8()
            account.lastRoutedBand = routedBand == 255 ? nil : Band(rawValue: Int(routedBand))
            for _ in 0..<(try input.u16()) {
                let signal = try input.string()
                guard let signalClass = SignalClass(rawValue: try input.u8()) else { throw Corrupt(description: "invalid signal class") }
                let count = DecayedSum(value: try input.f64(), referenceTime: EventTime(milliseconds: try input.i64()))
                account.tallies.append(SignalTally(
                    signal: signal, signalClass: signalClass, count: count, lastEventID: try input.string(),
                    lastOccurredAt: EventTime(milliseconds: try input.i64())))
            }
            for _ in 0..<(try input.u16()) {
                account.people.append(EngagedPerson(
                    key: try input.u64(), lastSeen: EventTime(milliseconds: try input.i64()), contactPoints: try input.f64(),
                    contactAt: EventTime(milliseconds: try input.i64())))
            }
            for _ in 0..<(try input.u16()) {
                var surge = TopicSurge(topic: try input.string(), source: try input.u8() == 0 ? .firstParty : .thirdParty)
                surge.active = try input.u8() == 1
                surge.baseline = try input.f64()
                surge.lastObservedAt = EventTime(milliseconds: try input.i64())
                surge.observations = Int(try input.i64())
                surge.recent = DecayedSum(value: try input.f64(), referenceTime: EventTime(milliseconds: try input.i64()))
                surge.longTerm = DecayedSum(value: try input.f64(), referenceTime: EventTime(milliseconds: try input.i64()))
                surge.cooldownUntil = EventTime(milliseconds: try input.i64())
                surge.lastCurrent = try input.f64()
                surge.lastBaseline = try input.f64()
                account.surges.append(surge)
            }
            state.accounts[account.accountID] = account
        }
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
        guard input.isAtEnd else { throw Corrupt(description: "\(bytes.count - input.offset) unexpected trailing bytes") }
        return state
    }
}

/// Appends little-endian values and length-prefixed strings.
public struct ByteWriter {
    public private(set) var bytes: [UInt8] = []
    public init() {}
    public mutating func u8(_ value: UInt8) { bytes.append(value) }
    public mutating func u16(_ value: UInt16) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
    public mutating func u32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
    public mutating func u64(_ value: UInt64) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
    public mutating func i32(_ value: Int32) { u32(UInt32(bitPattern: value)) }
    public mutating func i64(_ value: Int64) { u64(UInt64(bitPattern: value)) }
    public mutating func f64(_ value: Double) { u64(value.bitPattern) }
    public mutating func string(_ value: String) {
        u32(UInt32(value.utf8.count))
        bytes.append(contentsOf: value.utf8)
    }
    public mutating func optionalString(_ value: String?) {
        if let value {
            u8(1)
            string(value)
        } else {
            u8(0)
        }
    }
    public mutating func optionalI64(_ value: Int64?) {
        if let value {
            u8(1)
            i64(value)
        } else {
            u8(0)
        }
    }
    public mutating func raw(_ value: [UInt8]) { bytes.append(contentsOf: value) }
}

/// Reads what `ByteWriter` wrote, failing (never trapping) on truncated or bad input.
public struct ByteReader {
    let bytes: [UInt8]
    public private(set) var offset = 0
    public init(bytes: [UInt8], offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }
    public var isAtEnd: Bool { offset == bytes.count }

    private mutating func take(_ count: Int) throws(StateCodec.Corrupt) -> ArraySlice<UInt8> {
        guard count >= 0, bytes.count - offset >= count else {
            throw StateCodec.Corrupt(description: "truncated: needed \(count) bytes at offset \(offset) of \(bytes.count)")
        }
        defer { offset += count }
        return bytes[offset..<(offset + count)]
    }

    private mutating func integer<T: FixedWidthInteger>(_ type: T.Type) throws(StateCodec.Corrupt) -> T {
        let slice = try take(MemoryLayout<T>.size)
        var value: T = 0
        for (index, byte) in slice.enumerated() { value |= T(byte) << (8 * index) }
        return value
    }

    public mutating func u8() throws(StateCodec.Corrupt) -> UInt8 { try take(1).first! }
    public mutating func u16() throws(StateCodec.Corrupt) -> UInt16 { try integer(UInt16.self) }
    public mutating func u32() throws(StateCodec.Corrupt) -> UInt32 { try integer(UInt32.self) }
    public mutating func u64() throws(StateCodec.Corrupt) -> UInt64 { try integer(UInt64.self) }
    public mutating func i32() throws(StateCodec.Corrupt) -> Int32 { Int32(bitPattern: try u32()) }
    public mutating func i64() throws(StateCodec.Corrupt) -> Int64 { Int64(bitPattern: try u64()) }
    public mutating func f64() throws(StateCodec.Corrupt) -> Double { Double(bitPattern: try u64()) }
    public mutating func string() throws(StateCodec.Corrupt) -> String {
        let count = Int(try u32())
        let slice = try take(count)
        guard let text = String(validating: slice, as: UTF8.self) else { throw StateCodec.Corrupt(description: "invalid UTF-8 at offset \(offset - count)") }
        return text
    }
    public mutating func optionalString() throws(StateCodec.Corrupt) -> String? { try u8() == 1 ? try string() : nil }
    public mutating func optionalI64() throws(StateCodec.Corrupt) -> Int64? { try u8() == 1 ? try i64() : nil }
    public mutating func raw(_ count: Int) throws(StateCodec.Corrupt) -> [UInt8] { Array(try take(count)) }
}
