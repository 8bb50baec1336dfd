import Foundation
@testable import LeadflowDaemon
@testable import LeadflowEngine
import Testing

@Suite("Snapshot files: layout, checksum and round trip")
struct SnapshotFileTests {
    /// The state after a scripted stream: accounts with tallies, people and surges, plus held and
    /// identified visitors.
    static func scriptedState() -> EngineState {
        var engine = Engine(model: CompiledModel(ScoringModel()))
        for line in ScriptedStream.lines(count: 3_000) { _ = engine.process(Array(line.utf8), clock: nil) }
        let start: Int64 = 1_788_220_800_000
        _ = engine.process(Array(#"{"type":"page_view","event_id":"h1","occurred_at":\#(start),"visitor_id":"anon-1","url":"https://v.example/pricing","ip":"10.0.0.1","title":"Pricing"}"#.utf8), clock: nil)
        _ = engine.process(Array(#"{"type":"page_view","event_id":"h2","occurred_at":\#(start + 1),"visitor_id":"anon-2","url":"https://v.example/docs"}"#.utf8), clock: nil)
        _ = engine.process(Array(#"{"type":"form_submission","event_id":"f1","occurred_at":\#(start + 2),"email":"ann@northwind.example","form_type":"newsletter","visitor_id":"anon-2"}"#.utf8), clock: nil)
        return engine.state
    }

    static let header = Snapshot.Header(
        task: 3, sequence: 42, writtenAtMilliseconds: 1_788_220_800_000, configVersion: "cfg", inputOffsets: ["page-views": 17],
        outputWatermarks: ["routing-decisions/0": 5], accounts: 0, heldVisitors: 0, identifiedVisitors: 0)

    /// Bit by bit, straight from the definition: the reference the table-driven code must match.
    static func bitwiseCRC32C(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        }
        return ~crc
    }

    @Test("CRC-32C matches the standard check value and a bitwise computation at every length and alignment")
    func checksum() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(Array("123456789".utf8).withUnsafeBytes { CRC32C.softwareChecksum($0) } == 0xE306_9283)
        let bytes = (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        for start in 0..<9 {
            for end in stride(from: start, through: bytes.count, by: 7) {
                let slice = bytes[start..<end]
                let expected = Self.bitwiseCRC32C(slice)
                let fast = bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[start..<end])) }
                #expect(fast == expected, "bytes \(start)..<\(end)")
                // Both ways of computing it (the instruction, where there is one, and the tables).
                let tables = bytes.withUnsafeBytes { CRC32C.softwareChecksum(UnsafeRawBufferPointer(rebasing: $0[start..<end])) }
                #expect(tables == expected, "tables, bytes \(start)..<\(end)")
                // And continuing from a seed, as a snapshot's pieces are checksummed.
                let split = start + (end - start) / 2
                let continued = bytes.withUnsafeBytes { raw in
                    CRC32C.checksum(
                        UnsafeRawBufferPointer(rebasing: raw[split..<end]),
                        seed: CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[start..<split])))
                }
                #expect(continued == expected, "continued at \(split), bytes \(start)..<\(end)")
            }
        }
    }

    @Test("checksums of two parts combine into the checksum of the whole, at every split")
    func checksumCombine() {
        let bytes = (0..<1_000).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 17) }
        for split in [0, 1, 7, 8, 9, 64, 333, 999, 1_000] {
            let first = CRC32C.checksum(Array(bytes[..<split]))
            let second = CRC32C.checksum(Array(bytes[split...]))
            #expect(CRC32C.combine(first, second, secondLength: bytes.count - split) == CRC32C.checksum(bytes), "split at \(split)")
        }
        // Long runs go through the larger powers of x: a megabyte of zeros after a prefix.
        let zeros = [UInt8](repeating: 0, count: 1 << 20)
        let prefix = Array("leadflow".utf8)
        #expect(CRC32C.combine(CRC32C.checksum(prefix), CRC32C.checksum(zeros), secondLength: zeros.count) == CRC32C.checksum(prefix + zeros))
        #expect(CRC32C.combine(CRC32C.checksum(prefix), CRC32C.checksum(zeros), secondLength: zeros.count - 1) != CRC32C.checksum(prefix + zeros))
    }

    /// More accounts than one block holds, so pieces and blocks both come in several.
    static func blockSpanningState() -> EngineState {
        var state = scriptedState()
        for index in 0..<(AccountTable.chunkSize * 2 + 17) {
            var account = AccountState(accountID: "bulk-\(index)", domain: "bulk\(index).example", isMatched: index % 2 == 0)
            account.eventCount = index
            account.append(SignalTally(
                signal: "page:pricing", signalClass: .pageView, count: DecayedSum(value: Double(index), referenceTime: EventTime(milliseconds: 7)),
                lastEventID: "e\(index)", lastOccurredAt: EventTime(milliseconds: 7)))
            state.accounts[account.accountID] = account
        }
        return state
    }

    @Test("a snapshot streamed to a file in pieces is byte for byte the snapshot encoded at once, and loads back")
    func streamedFile() throws {
        let state = Self.blockSpanningState()
        let snapshot = Snapshot(header: Self.header, state: state)
        let whole = try snapshot.encoded()
        // Pieces of one byte: every block of accounts goes out on its own.
        var pieces: [[UInt8]] = []
        var patched: (bytes: [UInt8], offset: Int)?
        let size = try snapshot.encode(piecesOf: 1) { pieces.append(Array($0)) } patchLength: { patched = (Array($0), $1) }
        #expect(pieces.count > 3)
        var streamed = Array(pieces.joined())
        let patch = try #require(patched)
        streamed.replaceSubrange(patch.offset..<(patch.offset + 8), with: patch.bytes)
        #expect(size == whole.count)
        #expect(streamed == whole)

        let directory = NSTemporaryDirectory() + "leadflow-streamed-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let written = try SnapshotStore(directory: directory, keep: 2).write(snapshot)
        #expect(written.bytes == whole.count)
        #expect(try SnapshotStore.read(written.path) == whole)
        let loaded = try SnapshotStore.load(written.path)
        #expect(loaded.header == Self.header)
        #expect(loaded.state.accounts == state.accounts)
        #expect(loaded.state.heldVisitors == state.heldVisitors)
        #expect(loaded.state.identifiedVisitors == state.identifiedVisitors)
        #expect(loaded.state.newestEventTime == state.newestEventTime)
    }

    @Test("loading a file with any flipped byte or truncation fails, naming a checksum mismatch when the layout still parses")
    func damagedFilesFailToLoad() throws {
        let bytes = try Snapshot(header: Self.header, state: Self.blockSpanningState()).encoded()
        let directory = NSTemporaryDirectory() + "leadflow-damaged-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/task-00003.000000000042.snap"
        for position in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 61)) + [bytes.count - 1] {
            var damaged = bytes
            damaged[position] ^= 0x10
            try Data(damaged).write(to: URL(fileURLWithPath: path))
            #expect(throws: (any Error).self, "flip at \(position)") { try SnapshotStore.load(path) }
        }
        // A flip inside an account's text keeps the layout intact: only the checksum can tell.
        var flipped = bytes
        let text = Array("bulk-8000".utf8)
        let at = try #require((0..<(bytes.count - text.count)).first { Array(bytes[$0..<($0 + text.count)]) == text })
        flipped[at + 5] = UInt8(ascii: "9")
        try Data(flipped).write(to: URL(fileURLWithPath: path))
        #expect { try SnapshotStore.load(path) } throws: { "\($0)".contains("checksum mismatch") }
        for length in [0, 7, 20, bytes.count / 2, bytes.count - 1] {
            try Data(bytes[0..<length]).write(to: URL(fileURLWithPath: path))
            #expect(throws: (any Error).self, "truncated to \(length)") { try SnapshotStore.load(path) }
        }
        // A file that is not a snapshot at all says so, whichever reader reads it.
        var foreign = bytes
        foreign[0] = UInt8(ascii: "X")
        try Data(foreign).write(to: URL(fileURLWithPath: path))
        #expect { try SnapshotStore.load(path) } throws: { "\($0)".contains("not a Leadflow snapshot") }
        #expect { try Snapshot.decode(foreign) } throws: { "\($0)".contains("not a Leadflow snapshot") }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(try SnapshotStore.load(path).state.accounts.count == Self.blockSpanningState().accounts.count)
    }

    @Test("a snapshot decodes to the state and header it was written from")
    func roundTrip() throws {
        let state = Self.scriptedState()
        #expect(state.accounts.count > 100)
        #expect(!state.heldVisitors.isEmpty)
        #expect(!state.identifiedVisitors.isEmpty)
        let decoded = try Snapshot.decode(try Snapshot(header: Self.header, state: state).encoded())
        #expect(decoded.header == Self.header)
        #expect(decoded.state.accounts == state.accounts)
        #expect(decoded.state.heldVisitors == state.heldVisitors)
        #expect(decoded.state.identifiedVisitors == state.identifiedVisitors)
        #expect(decoded.state.newestEventTime == state.newestEventTime)
    }

    @Test("equal states encode to equal bytes, whatever order their accounts were added in")
    func canonicalBytes() throws {
        let state = Self.scriptedState()
        var reversed = EngineState()
        for account in state.accounts.values.sorted(by: { $0.accountID > $1.accountID }) { reversed.accounts[account.accountID] = account }
        reversed.heldVisitors = state.heldVisitors
        reversed.identifiedVisitors = state.identifiedVisitors
        reversed.newestEventTime = state.newestEventTime
        #expect(StateCodec.encode(reversed) == StateCodec.encode(state))
        var changed = reversed
        changed.accounts[state.accounts.values.first!.accountID]?.eventCount += 1
        #expect(StateCodec.encode(changed) != StateCodec.encode(state))
    }

    @Test("a version 1 body (accounts without block lengths) still decodes to the same state")
    func readsVersionOne() throws {
        let state = Self.scriptedState()
        let version2 = StateCodec.encode(state)
        // Version 1 is version 2 without the u64 byte length before each block of accounts.
        var reader = ByteReader(bytes: version2)
        let accounts = Int(try reader.u32())
        var version1 = Array(version2[0..<4])
        var remaining = accounts
        while remaining > 0 {
            let length = Int(try reader.u64())
            version1 += try reader.raw(length)
            remaining -= AccountTable.chunkSize
        }
        version1 += try reader.raw(reader.end - reader.offset)
        #expect(version1.count == version2.count - 8 * ((accounts + AccountTable.chunkSize - 1) / AccountTable.chunkSize))
        var input = ByteReader(bytes: version1)
        let decoded = try StateCodec.decode(from: &input, version: 1)
        #expect(input.isAtEnd)
        #expect(decoded.accounts == state.accounts)
        #expect(decoded.identifiedVisitors == state.identifiedVisitors)
        #expect(StateCodec.encode(decoded) == version2)
    }

    @Test("accounts spanning several blocks round-trip, decoded in parallel")
    func manyBlocks() throws {
        var state = EngineState()
        for index in 0..<(AccountTable.chunkSize * 2 + 17) {
            var account = AccountState(accountID: "a\(index)", domain: "d\(index).example", isMatched: index % 2 == 0)
            account.eventCount = index
            account.task = Int32(index % 3)
            state.accounts[account.accountID] = account
        }
        let decoded = try StateCodec.decode(StateCodec.encode(state))
        #expect(decoded.accounts.count == state.accounts.count)
        #expect(decoded.accounts == state.accounts)
        #expect(decoded.accounts["a8200"]?.eventCount == 8200)
    }

    @Test("any flipped byte or truncation is detected, never decoded")
    func damageIsDetected() throws {
        let bytes = try Snapshot(header: Self.header, state: Self.scriptedState()).encoded()
        for position in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 97)) {
            var damaged = bytes
            damaged[position] ^= 0x10
            #expect(throws: (any Error).self, "flip at \(position)") { try Snapshot.decode(damaged) }
        }
        for length in [0, 7, 20, bytes.count / 2, bytes.count - 1] {
            #expect(throws: (any Error).self, "truncated to \(length)") { try Snapshot.decode(Array(bytes[0..<length])) }
        }
    }
}
