import Foundation

/// Whether two byte ranges hold the same bytes. `elementsEqual` on them is generic and was a
/// few percent of a restore; this is one `memcmp`.
func sameBytes(_ left: UnsafeBufferPointer<UInt8>, _ right: UnsafeBufferPointer<UInt8>) -> Bool {
    left.count == right.count && (left.isEmpty || memcmp(left.baseAddress!, right.baseAddress!, left.count) == 0)
}

/// Appends little-endian values and length-prefixed strings into one growing buffer.
///
/// Snapshots of a million accounts are a few hundred megabytes, so values are stored straight
/// into spare capacity (no per-field array append) and the buffer grows by doubling.
public struct ByteWriter {
    private var buffer: [UInt8]
    public private(set) var count = 0

    public init(capacity: Int = 256) {
        buffer = [UInt8](repeating: 0, count: max(capacity, 16))
    }

    /// The bytes written, leaving the writer empty.
    public mutating func takeBytes() -> [UInt8] {
        var result: [UInt8] = []
        swap(&result, &buffer)
        result.removeSubrange(count...)
        count = 0
        return result
    }

    /// Hands the bytes written so far to `body` and empties the writer, keeping its buffer: a
    /// writer streaming to a file reuses the same memory for every piece.
    public mutating func drain(_ body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        let written = count
        count = 0
        try buffer.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[0..<written])) }
    }

    private mutating func reserve(_ extra: Int) {
        guard buffer.count - count < extra else { return }
        buffer.append(contentsOf: repeatElement(0, count: max(buffer.count, extra)))
    }

    @inline(__always)
    private mutating func store<T: FixedWidthInteger>(_ value: T) {
        reserve(MemoryLayout<T>.size)
        let offset = count
        buffer.withUnsafeMutableBytes { $0.storeBytes(of: value.littleEndian, toByteOffset: offset, as: T.self) }
        count += MemoryLayout<T>.size
    }

    public mutating func u8(_ value: UInt8) { store(value) }
    public mutating func u16(_ value: UInt16) { store(value) }
    public mutating func u32(_ value: UInt32) { store(value) }
    public mutating func u64(_ value: UInt64) { store(value) }
    public mutating func i32(_ value: Int32) { store(value) }
    public mutating func i64(_ value: Int64) { store(value) }
    public mutating func f64(_ value: Double) { store(value.bitPattern) }

    /// Overwrites a u64 written earlier at `offset` (a length known only after what follows it).
    public mutating func patchU64(_ value: UInt64, at offset: Int) {
        precondition(offset >= 0 && offset + 8 <= count, "patch outside the written bytes")
        buffer.withUnsafeMutableBytes { $0.storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt64.self) }
    }

    public mutating func string(_ value: String) {
        var value = value
        value.withUTF8 { lengthPrefixed(UnsafeRawBufferPointer($0)) }
    }

    /// A string given as its UTF-8 bytes, laid out as `string(_:)` lays it out.
    public mutating func string(utf8 bytes: UnsafeBufferPointer<UInt8>) {
        lengthPrefixed(UnsafeRawBufferPointer(bytes))
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

    /// A u32 length, then the bytes.
    private mutating func lengthPrefixed(_ value: UnsafeRawBufferPointer) {
        u32(UInt32(value.count))
        append(value)
    }

    /// The bytes as they are, with no length before them.
    public mutating func raw(_ value: [UInt8]) { value.withUnsafeBytes { append($0) } }

    private mutating func append(_ value: UnsafeRawBufferPointer) {
        guard !value.isEmpty else { return }
        reserve(value.count)
        let offset = count
        buffer.withUnsafeMutableBytes { UnsafeMutableRawBufferPointer(rebasing: $0[offset..<(offset + value.count)]).copyMemory(from: value) }
        count += value.count
    }
}

/// Bytes to decode, held still in memory for as long as any reader of them lives: a copy of an
/// array, or memory its creator hands over with how to release it (the daemon's snapshot
/// restore reads a file a few blocks at a time, each into memory of its own that is freed
/// once its accounts are decoded).
public final class ByteSource: @unchecked Sendable {
    // Unchecked: the bytes are never written after `init`, and `release` runs once, in `deinit`.
    public let bytes: UnsafeRawBufferPointer
    private let release: @Sendable (UnsafeRawBufferPointer) -> Void

    public init(copying array: [UInt8]) {
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: max(array.count, 1), alignment: 16)
        array.withUnsafeBytes { copy.copyMemory(from: $0) }
        bytes = UnsafeRawBufferPointer(rebasing: copy[0..<array.count])
        release = { UnsafeMutableRawPointer(mutating: $0.baseAddress!).deallocate() }
    }

    /// Adopts `bytes`; `release` is called with them when the last reader is gone.
    public init(adopting bytes: UnsafeRawBufferPointer, release: @escaping @Sendable (UnsafeRawBufferPointer) -> Void) {
        precondition(bytes.baseAddress != nil, "adopted bytes have an address, even when empty")
        self.bytes = bytes
        self.release = release
    }

    public var count: Int { bytes.count }

    deinit { release(bytes) }
}

/// Reads what `ByteWriter` wrote from `source[offset..<end]`, failing (never trapping) on
/// truncated or bad input. Reads in place: no copy of the bytes.
public struct ByteReader {
    let source: ByteSource
    private let base: UnsafeRawPointer
    public private(set) var offset: Int
    public let end: Int

    public init(source: ByteSource, offset: Int = 0, end: Int? = nil) {
        self.source = source
        self.base = source.bytes.baseAddress!
        self.offset = offset
        self.end = min(end ?? source.count, source.count)
    }

    public init(bytes: [UInt8], offset: Int = 0, end: Int? = nil) {
        self.init(source: ByteSource(copying: bytes), offset: offset, end: end)
    }

    public var isAtEnd: Bool { offset == end }

    /// Moves past `count` bytes and returns where they start.
    @inline(__always)
    private mutating func advance(_ count: Int) throws(StateCodec.Corrupt) -> Int {
        guard count >= 0, end - offset >= count else {
            throw StateCodec.Corrupt(description: "truncated: needed \(count) bytes at offset \(offset) of \(end)")
        }
        defer { offset += count }
        return offset
    }

    @inline(__always)
    private mutating func integer<T: FixedWidthInteger>(_ type: T.Type) throws(StateCodec.Corrupt) -> T {
        let start = try advance(MemoryLayout<T>.size)
        return T(littleEndian: base.loadUnaligned(fromByteOffset: start, as: T.self))
    }

    // Inlined: a restore reads tens of millions of these, and as calls (the optimiser merged
    // them into one shared body) they were a fifth of decoding a snapshot.
    @inline(__always) public mutating func u8() throws(StateCodec.Corrupt) -> UInt8 { base.load(fromByteOffset: try advance(1), as: UInt8.self) }
    @inline(__always) public mutating func u16() throws(StateCodec.Corrupt) -> UInt16 { try integer(UInt16.self) }
    @inline(__always) public mutating func u32() throws(StateCodec.Corrupt) -> UInt32 { try integer(UInt32.self) }
    @inline(__always) public mutating func u64() throws(StateCodec.Corrupt) -> UInt64 { try integer(UInt64.self) }
    @inline(__always) public mutating func i32() throws(StateCodec.Corrupt) -> Int32 { try integer(Int32.self) }
    @inline(__always) public mutating func i64() throws(StateCodec.Corrupt) -> Int64 { try integer(Int64.self) }
    @inline(__always) public mutating func f64() throws(StateCodec.Corrupt) -> Double { Double(bitPattern: try u64()) }

    public mutating func string() throws(StateCodec.Corrupt) -> String {
        let (bytes, start) = try stringBytes()
        return try Self.string(bytes, at: start)
    }

    /// The next string's bytes, in place, and their offset; not checked as UTF-8.
    mutating func stringBytes() throws(StateCodec.Corrupt) -> (bytes: UnsafeBufferPointer<UInt8>, offset: Int) {
        let count = Int(try u32())
        let start = offset
        return (try stringBytes(count: count), start)
    }

    /// The next `count` bytes, in place.
    private mutating func stringBytes(count: Int) throws(StateCodec.Corrupt) -> UnsafeBufferPointer<UInt8> {
        let start = try advance(count)
        return UnsafeBufferPointer(start: (base + start).assumingMemoryBound(to: UInt8.self), count: count)
    }

    /// A string of bytes read at `start`, failing on invalid UTF-8.
    static func string(_ bytes: UnsafeBufferPointer<UInt8>, at start: Int) throws(StateCodec.Corrupt) -> String {
        // Almost every string in a snapshot is ASCII, which is valid UTF-8 as it stands. The
        // validating initialiser is generic and looked up its type metadata on every call:
        // 8% of a fresh process's restore of a million accounts.
        if bytes.allSatisfy({ $0 < 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw StateCodec.Corrupt(description: "invalid UTF-8 at offset \(start)")
        }
        return text
    }

    public mutating func optionalString() throws(StateCodec.Corrupt) -> String? { try u8() == 1 ? try string() : nil }
    public mutating func optionalI64() throws(StateCodec.Corrupt) -> Int64? { try u8() == 1 ? try i64() : nil }

    public mutating func skip(_ count: Int) throws(StateCodec.Corrupt) { _ = try advance(count) }

    /// Steps over the next string if its bytes are `expected`, and says whether it did; else
    /// leaves the reader where it was.
    public mutating func skipString(ifEqualTo expected: UnsafeBufferPointer<UInt8>) throws(StateCodec.Corrupt) -> Bool {
        var ahead = self
        guard Int(try ahead.u32()) == expected.count, sameBytes(try ahead.stringBytes(count: expected.count), expected) else { return false }
        self = ahead
        return true
    }

    /// Steps over a string laid out by `ByteWriter.string(_:)`.
    public mutating func skipString() throws(StateCodec.Corrupt) { try skip(Int(try u32())) }

    public mutating func raw(_ count: Int) throws(StateCodec.Corrupt) -> [UInt8] {
        let start = try advance(count)
        return Array(UnsafeRawBufferPointer(rebasing: source.bytes[start..<(start + count)]))
    }
}
