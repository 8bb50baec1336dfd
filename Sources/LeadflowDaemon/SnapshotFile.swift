import Foundation
import LeadflowEngine

/// One task's state on disk with the input offsets it reflects.
///
/// Layout (little-endian; see the README, "Snapshots"):
/// `"LFSNAP\0\1"` · u32 format version · u32 header length · header (JSON) · u64 body length ·
/// body (`StateCodec`) · u32 CRC-32C of everything before it.
public struct Snapshot: Sendable {
    public struct Header: Codable, Sendable, Equatable {
        public var task: Int32
        public var sequence: Int64
        /// Wall-clock time of writing, for operators (not used by the engine).
        public var writtenAtMilliseconds: Int64
        public var configVersion: String
        /// Next offset to read per input topic, for partition `task`.
        public var inputOffsets: [String: Int64]
        /// High watermarks of the output topics' partitions ("topic/partition") when written:
        /// outputs after them are read back on restore to suppress duplicates.
        public var outputWatermarks: [String: Int64]
        public var accounts: Int
        public var heldVisitors: Int
        public var identifiedVisitors: Int

        public init(
            task: Int32, sequence: Int64, writtenAtMilliseconds: Int64, configVersion: String, inputOffsets: [String: Int64],
            outputWatermarks: [String: Int64], accounts: Int, heldVisitors: Int, identifiedVisitors: Int
        ) {
            self.task = task
            self.sequence = sequence
            self.writtenAtMilliseconds = writtenAtMilliseconds
            self.configVersion = configVersion
            self.inputOffsets = inputOffsets
            self.outputWatermarks = outputWatermarks
            self.accounts = accounts
            self.heldVisitors = heldVisitors
            self.identifiedVisitors = identifiedVisitors
        }
    }

    public var header: Header
    public var state: EngineState

    static let magic: [UInt8] = Array("LFSNAP".utf8) + [0, 1]
    /// Magic, version, header length, body length and checksum: a file with an empty header
    /// and body.
    static let minimumSize = magic.count + 4 + 4 + 8 + 4

    public init(header: Header, state: EngineState) {
        self.header = header
        self.state = state
    }

    /// The whole snapshot in memory (for inspection and tests; `SnapshotStore` streams it).
    public func encoded() throws -> [UInt8] {
        var bytes: [UInt8] = []
        _ = try encode { bytes.append(contentsOf: $0) } patchLength: { length, offset in
            bytes.replaceSubrange(offset..<(offset + length.count), with: length)
        }
        return bytes
    }

    /// How much of the body is encoded before it is handed on: small enough to still be in cache
    /// when it is checksummed, large enough that the system calls writing it do not add up.
    public static let pieceSize = 1 << 20

    /// Encodes the snapshot front to back, handing its bytes to `write` in pieces, and returns
    /// its size.
    ///
    /// The body's length comes before the body but is known only after it, so once the body is
    /// done the length goes to `patchLength` with its offset, and the checksum of the whole is
    /// put together from the checksums of the parts. Encoding the whole file in memory first
    /// held hundreds of megabytes at a million accounts, all of it fresh pages to fault in.
    public func encode(
        piecesOf pieceSize: Int = Snapshot.pieceSize, write: (UnsafeRawBufferPointer) throws -> Void,
        patchLength: (_ bytes: UnsafeRawBufferPointer, _ offset: Int) throws -> Void
    ) throws -> Int {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let header = Array(try encoder.encode(self.header))
        var prefix = ByteWriter(capacity: Self.magic.count + 16 + header.count)
        prefix.raw(Self.magic)
        prefix.u32(StateCodec.formatVersion)
        prefix.u32(UInt32(header.count))
        prefix.raw(header)
        let lengthOffset = prefix.count
        prefix.u64(0)
        var prefixChecksum: UInt32 = 0
        try prefix.drain { bytes in
            prefixChecksum = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<lengthOffset]))
            try write(bytes)
        }
        var bodyChecksum: UInt32 = 0
        var bodyLength = 0
        func piece(_ bytes: UnsafeRawBufferPointer) throws {
            bodyChecksum = CRC32C.checksum(bytes, seed: bodyChecksum)
            bodyLength += bytes.count
            try write(bytes)
        }
        var body = ByteWriter(capacity: min(pieceSize, Self.pieceSize) * 2)
        try StateCodec.encode(state, into: &body, piecesOf: pieceSize, flush: piece)
        try body.drain(piece)
        let length = withUnsafeBytes(of: UInt64(bodyLength).littleEndian) { Array($0) }
        try length.withUnsafeBytes { try patchLength($0, lengthOffset) }
        let throughLength = length.withUnsafeBytes { CRC32C.checksum($0, seed: prefixChecksum) }
        let checksum = CRC32C.combine(throughLength, bodyChecksum, secondLength: bodyLength)
        try withUnsafeBytes(of: checksum.littleEndian) { try write($0) }
        return lengthOffset + 8 + bodyLength + 4
    }

    public struct Invalid: Error, CustomStringConvertible {
        public var description: String

        static func checksumMismatch(stored: UInt32, computed: UInt32) -> Invalid {
            Invalid(description: "checksum mismatch (stored \(stored), computed \(computed)): truncated or corrupted")
        }
    }

    /// Checks that a file starts with the magic. Both readers check it before anything else, the
    /// checksum included: a file that is not a snapshot is said to be so, not to be damaged.
    static func checkMagic(_ start: UnsafeRawBufferPointer) throws {
        guard start.count >= magic.count, start.prefix(magic.count).elementsEqual(magic) else {
            throw Invalid(description: "not a Leadflow snapshot (bad magic)")
        }
    }

    /// Reads the format version after the magic, checking it, and the header's length: what
    /// both the in-memory and the streaming readers read next.
    static func readVersion(from reader: inout ByteReader) throws -> (version: UInt32, headerLength: Int) {
        let version = try reader.u32()
        let readable = StateCodec.readableVersions
        guard readable.contains(version) else {
            throw Invalid(description: "format version \(version); this Leadflow reads \(readable.lowerBound) to \(readable.upperBound)")
        }
        return (version, Int(try reader.u32()))
    }

    static func checkBodyLength(_ bodyLength: Int, before remaining: Int) throws {
        guard bodyLength == remaining else {
            throw Invalid(description: "body length \(bodyLength) does not match the \(remaining) bytes before the checksum")
        }
    }

    /// Parses and verifies a snapshot; any damage is an `Invalid` error saying what is wrong.
    public static func decode(_ bytes: [UInt8], headerOnly: Bool = false) throws -> Snapshot {
        try decode(ByteSource(copying: bytes), headerOnly: headerOnly)
    }

    public static func decode(_ source: ByteSource, headerOnly: Bool = false) throws -> Snapshot {
        let bytes = source.bytes
        guard bytes.count >= minimumSize else { throw Invalid(description: "file is \(bytes.count) bytes: truncated") }
        try checkMagic(bytes)
        let stored = bytes[(bytes.count - 4)...].enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * $1.offset) }
        let actual = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<(bytes.count - 4)]))
        guard stored == actual else { throw Invalid.checksumMismatch(stored: stored, computed: actual) }
        var reader = ByteReader(source: source, offset: magic.count, end: bytes.count - 4)
        let (version, headerLength) = try readVersion(from: &reader)
        let headerBytes = try reader.raw(headerLength)
        let header = try JSONDecoder().decode(Header.self, from: Data(headerBytes))
        if headerOnly { return Snapshot(header: header, state: EngineState()) }
        let bodyLength = Int(try reader.u64())
        try checkBodyLength(bodyLength, before: reader.end - reader.offset)
        let state = try StateCodec.decode(from: &reader, version: version)
        guard reader.isAtEnd else { throw Invalid(description: "\(reader.end - reader.offset) unexpected trailing bytes in the body") }
        return Snapshot(header: header, state: state)
    }
}

/// The snapshot files of all tasks in one directory: atomic writes, the last K kept, damaged
/// files set aside.
public struct SnapshotStore: Sendable {
    public let directory: String
    public let keep: Int

    public init(directory: String, keep: Int) {
        self.directory = directory
        self.keep = keep
    }

    func name(task: Int32, sequence: Int64) -> String {
        String(format: "task-%05d.%012lld.snap", task, sequence)
    }

    /// Snapshot files of a task, newest first.
    public func files(task: Int32) -> [(sequence: Int64, path: String)] {
        let prefix = String(format: "task-%05d.", task)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.compactMap { name -> (Int64, String)? in
            guard name.hasPrefix(prefix), name.hasSuffix(".snap") else { return nil }
            let middle = name.dropFirst(prefix.count).dropLast(5)
            guard let sequence = Int64(middle) else { return nil }
            return (sequence, directory + "/" + name)
        }.sorted { $0.0 > $1.0 }
    }

    public struct WriteFailure: Error, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String { "cannot write snapshot \(path): \(reason)" }
    }

    /// Writes atomically: a temporary file, fsync, rename, fsync of the directory. On failure
    /// (disk full, permission denied) the previous snapshots are untouched.
    public func write(_ snapshot: Snapshot) throws -> (path: String, bytes: Int) {
        try createDirectory()
        let path = directory + "/" + name(task: snapshot.header.task, sequence: snapshot.header.sequence)
        let temporary = path + ".tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else { throw WriteFailure(path: temporary, reason: String(cString: strerror(errno))) }
        let size: Int
        do {
            // Written as it is encoded: the file system takes each piece while the next is built.
            size = try snapshot.encode { bytes in
                try Self.write(bytes, to: descriptor, at: nil, path: temporary)
            } patchLength: { bytes, offset in
                try Self.write(bytes, to: descriptor, at: offset, path: temporary)
            }
            guard fsync(descriptor) == 0 else { throw WriteFailure(path: temporary, reason: String(cString: strerror(errno))) }
        } catch {
            close(descriptor)
            unlink(temporary)
            throw error
        }
        close(descriptor)
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw WriteFailure(path: path, reason: reason)
        }
        let directoryDescriptor = open(directory, O_RDONLY)
        if directoryDescriptor >= 0 {
            fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
        for old in files(task: snapshot.header.task).dropFirst(keep) { unlink(old.path) }
        return (path, size)
    }

    /// All of `bytes`, at the file's position or at `offset`, retrying short writes.
    private static func write(_ bytes: UnsafeRawBufferPointer, to descriptor: Int32, at offset: Int?, path: String) throws(WriteFailure) {
        var written = 0
        while written < bytes.count {
            let remaining = bytes.count - written
            let result = if let offset {
                pwrite(descriptor, bytes.baseAddress! + written, remaining, off_t(offset + written))
            } else {
                Foundation.write(descriptor, bytes.baseAddress! + written, remaining)
            }
            if result < 0 && errno == EINTR { continue }
            guard result > 0 else { throw WriteFailure(path: path, reason: result == 0 ? "no bytes written" : String(cString: strerror(errno))) }
            written += result
        }
    }

    /// Reads and verifies a snapshot file, its body a few blocks at a time (see
    /// `StateCodec.decode(length:version:reading:)`): the same checks as `Snapshot.decode`, but
    /// without first reading the whole file into memory. The checksum is verified once the body
    /// is decoded; a damaged file that fails to decode before that is reported as a checksum
    /// mismatch when it is one, as `Snapshot.decode` would.
    public static func load(_ path: String) throws -> Snapshot {
        var file = try FileInput(path: path)
        defer { file.close() }
        guard file.size >= Snapshot.minimumSize else { throw Snapshot.Invalid(description: "file is \(file.size) bytes: truncated") }
        let magic = try file.next(Snapshot.magic.count)
        try withExtendedLifetime(magic) { try Snapshot.checkMagic(magic.bytes) }
        do {
            var prefix = ByteReader(source: try file.next(8))
            let (version, headerLength) = try Snapshot.readVersion(from: &prefix)
            let headerSource = try file.next(headerLength)
            let header = try JSONDecoder().decode(Snapshot.Header.self, from: Data(headerSource.bytes))
            var lengthField = ByteReader(source: try file.next(8))
            let bodyLength = Int(try lengthField.u64())
            try Snapshot.checkBodyLength(bodyLength, before: file.size - file.position - 4)
            let state = try StateCodec.decode(length: bodyLength, version: version) { try file.next($0) }
            let actual = file.checksum
            var trailer = ByteReader(source: try file.next(4))
            let stored = try trailer.u32()
            guard stored == actual else { throw Snapshot.Invalid.checksumMismatch(stored: stored, computed: actual) }
            return Snapshot(header: header, state: state)
        } catch let failure as ReadFailure {
            throw failure
        } catch {
            if let mismatch = file.checksumMismatch() { throw mismatch }
            throw error
        }
    }

    /// A snapshot file read front to back in pieces, each checksummed as it arrives.
    private struct FileInput {
        let path: String
        let descriptor: Int32
        let size: Int
        private(set) var position = 0
        /// CRC-32C of the bytes read so far.
        private(set) var checksum: UInt32 = 0

        init(path: String) throws(ReadFailure) {
            self.path = path
            descriptor = open(path, O_RDONLY)
            guard descriptor >= 0 else { throw ReadFailure(path: path, reason: String(cString: strerror(errno))) }
            var status = stat()
            guard fstat(descriptor, &status) == 0 else {
                let reason = String(cString: strerror(errno))
                Foundation.close(descriptor)
                throw ReadFailure(path: path, reason: reason)
            }
            size = Int(status.st_size)
        }

        func close() { Foundation.close(descriptor) }

        /// Exactly the next `count` bytes.
        mutating func next(_ count: Int) throws -> ByteSource {
            guard count >= 0, count <= size - position else {
                throw Snapshot.Invalid(description: "truncated: needed \(count) bytes at offset \(position) of \(size)")
            }
            let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: max(count, 1), alignment: 16)
            var filled = 0
            while filled < count {
                let result = pread(descriptor, memory.baseAddress! + filled, count - filled, off_t(position + filled))
                if result < 0 && errno == EINTR { continue }
                guard result > 0 else {
                    memory.deallocate()
                    throw ReadFailure(path: path, reason: result == 0 ? "the file ended early (changed while read?)" : String(cString: strerror(errno)))
                }
                filled += result
            }
            let bytes = UnsafeRawBufferPointer(rebasing: memory[0..<count])
            checksum = CRC32C.checksum(bytes, seed: checksum)
            position += count
            return ByteSource(adopting: bytes) { UnsafeMutableRawPointer(mutating: $0.baseAddress!).deallocate() }
        }

        /// The file's checksum mismatch, read again from the start; nil when it matches or the
        /// file cannot be read.
        func checksumMismatch() -> Snapshot.Invalid? {
            guard size >= 4 else { return nil }
            var checksum: UInt32 = 0
            var stored: UInt32 = 0
            let piece = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
            defer { piece.deallocate() }
            var offset = 0
            while offset < size {
                let result = pread(descriptor, piece.baseAddress!, min(piece.count, size - offset), off_t(offset))
                if result < 0 && errno == EINTR { continue }
                guard result > 0 else { return nil }
                let read = UnsafeRawBufferPointer(rebasing: piece[0..<result])
                let checked = max(0, min(result, size - 4 - offset))
                checksum = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: read[0..<checked]), seed: checksum)
                for index in checked..<result { stored |= UInt32(read[index]) << (8 * UInt32(offset + index - (size - 4))) }
                offset += result
            }
            return stored == checksum ? nil : .checksumMismatch(stored: stored, computed: checksum)
        }
    }

    /// The newest valid snapshot of a task. Damaged files are reported through `onDamaged`,
    /// renamed `*.corrupt` when `setAside` (a reader that does not own the folder leaves them),
    /// and the next older one is tried.
    public func loadLatest(task: Int32, setAside: Bool = true, onDamaged: (String, String) -> Void) -> Snapshot? {
        for file in files(task: task) {
            do {
                return try Self.load(file.path)
            } catch {
                onDamaged(file.path, "\(error)")
                if setAside { rename(file.path, file.path + ".corrupt") }
            }
        }
        return nil
    }

    public struct ReadFailure: Error, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String { "cannot read \(path): \(reason)" }
    }

    /// A whole file into one array, read straight into its storage (no intermediate `Data`).
    public static func read(_ path: String) throws(ReadFailure) -> [UInt8] {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw ReadFailure(path: path, reason: String(cString: strerror(errno))) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw ReadFailure(path: path, reason: String(cString: strerror(errno))) }
        let size = Int(status.st_size)
        var failure: String?
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            while initialized < size {
                let result = Foundation.read(descriptor, buffer.baseAddress! + initialized, size - initialized)
                if result < 0 && errno == EINTR { continue }
                if result < 0 { failure = String(cString: strerror(errno)) }
                if result <= 0 { break }
                initialized += result
            }
        }
        if let failure { throw ReadFailure(path: path, reason: failure) }
        return bytes
    }

    private func createDirectory() throws {
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            throw WriteFailure(path: directory, reason: error.localizedDescription)
        }
    }
}
