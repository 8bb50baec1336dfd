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

    public init(header: Header, state: EngineState) {
        self.header = header
        self.state = state
    }

    public func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let header = Array(try encoder.encode(self.header))
        var writer = ByteWriter(capacity: Self.magic.count + 24 + header.count + StateCodec.estimatedSize(state))
        writer.raw(Self.magic)
        writer.u32(StateCodec.formatVersion)
        writer.u32(UInt32(header.count))
        writer.raw(header)
        // The body is encoded in place; its length is filled in once known.
        let lengthOffset = writer.count
        writer.u64(0)
        StateCodec.encode(state, into: &writer)
        writer.patchU64(UInt64(writer.count - lengthOffset - 8), at: lengthOffset)
        var bytes = writer.takeBytes()
        let crc = bytes.withUnsafeBytes { CRC32C.checksum($0) }
        withUnsafeBytes(of: crc.littleEndian) { bytes.append(contentsOf: $0) }
        return bytes
    }

    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    /// Parses and verifies a snapshot; any damage is an `Invalid` error saying what is wrong.
    public static func decode(_ bytes: [UInt8], headerOnly: Bool = false) throws -> Snapshot {
        guard bytes.count >= magic.count + 4 + 4 + 8 + 4 else { throw Invalid(description: "file is \(bytes.count) bytes: truncated") }
        guard Array(bytes[0..<magic.count]) == magic else { throw Invalid(description: "not a Leadflow snapshot (bad magic)") }
        let stored = bytes[(bytes.count - 4)...].enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * $1.offset) }
        let actual = bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<(bytes.count - 4)])) }
        guard stored == actual else { throw Invalid(description: "checksum mismatch (stored \(stored), computed \(actual)): truncated or corrupted") }
        var reader = ByteReader(bytes: bytes, offset: magic.count, end: bytes.count - 4)
        let version = try reader.u32()
        let readable = StateCodec.readableVersions
        guard readable.contains(version) else {
            throw Invalid(description: "format version \(version); this Leadflow reads \(readable.lowerBound) to \(readable.upperBound)")
        }
        let headerBytes = try reader.raw(Int(try reader.u32()))
        let header = try JSONDecoder().decode(Header.self, from: Data(headerBytes))
        if headerOnly { return Snapshot(header: header, state: EngineState()) }
        let bodyLength = Int(try reader.u64())
        guard bodyLength == reader.end - reader.offset else {
            throw Invalid(description: "body length \(bodyLength) does not match the \(reader.end - reader.offset) bytes before the checksum")
        }
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
        let bytes = try snapshot.encoded()
        let path = directory + "/" + name(task: snapshot.header.task, sequence: snapshot.header.sequence)
        let temporary = path + ".tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else { throw WriteFailure(path: temporary, reason: String(cString: strerror(errno))) }
        var written = 0
        let failure: String? = bytes.withUnsafeBytes { buffer in
            while written < buffer.count {
                let result = Foundation.write(descriptor, buffer.baseAddress! + written, buffer.count - written)
                if result < 0 { return String(cString: strerror(errno)) }
                written += result
            }
            return fsync(descriptor) == 0 ? nil : String(cString: strerror(errno))
        }
        close(descriptor)
        if let failure {
            unlink(temporary)
            throw WriteFailure(path: temporary, reason: failure)
        }
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
        return (path, bytes.count)
    }

    /// The newest valid snapshot of a task. Damaged files are reported through `onDamaged`,
    /// renamed `*.corrupt` when `setAside` (a reader that does not own the folder leaves them),
    /// and the next older one is tried.
    public func loadLatest(task: Int32, setAside: Bool = true, onDamaged: (String, String) -> Void) -> Snapshot? {
        for file in files(task: task) {
            do {
                return try Snapshot.decode(try Self.read(file.path))
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
