import CChecksum

/// CRC-32C (Castagnoli), the checksum that guards snapshot files against truncation and bit rot.
///
/// With the processor's CRC-32C instruction where it has one (x86-64 with SSE4.2), else
/// slicing-by-8: eight tables let each step fold eight bytes, several times faster than a byte
/// at a time. Snapshots are hundreds of megabytes, so this is on the restore's critical path.
enum CRC32C {
    static let usesHardware = leadflow_crc32c_hardware_available() != 0

    /// `tables[k * 256 + b]`: the CRC of byte `b` followed by `k` zero bytes.
    private static let tables: [UInt32] = {
        var tables = [UInt32](repeating: 0, count: 8 * 256)
        for index in 0..<256 {
            var crc = UInt32(index)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
            tables[index] = crc
        }
        for slice in 1..<8 {
            for index in 0..<256 {
                let previous = tables[(slice - 1) * 256 + index]
                tables[slice * 256 + index] = (previous >> 8) ^ tables[Int(previous & 0xFF)]
            }
        }
        return tables
    }()

    static func checksum(_ bytes: UnsafeRawBufferPointer, seed: UInt32 = 0) -> UInt32 {
        guard usesHardware else { return softwareChecksum(bytes, seed: seed) }
        guard let base = bytes.baseAddress else { return seed }
        return ~leadflow_crc32c_hardware(~seed, base, bytes.count)
    }

    /// The table-driven checksum: the same values, for processors without the instruction.
    static func softwareChecksum(_ bytes: UnsafeRawBufferPointer, seed: UInt32 = 0) -> UInt32 {
        var crc = ~seed
        tables.withUnsafeBufferPointer { table in
            var offset = 0
            let count = bytes.count
            while count - offset >= 8 {
                let word = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
                let low = UInt32(truncatingIfNeeded: word) ^ crc
                let high = UInt32(truncatingIfNeeded: word >> 32)
                crc = table[7 * 256 + Int(low & 0xFF)] ^ table[6 * 256 + Int((low >> 8) & 0xFF)]
                    ^ table[5 * 256 + Int((low >> 16) & 0xFF)] ^ table[4 * 256 + Int(low >> 24)]
                    ^ table[3 * 256 + Int(high & 0xFF)] ^ table[2 * 256 + Int((high >> 8) & 0xFF)]
                    ^ table[1 * 256 + Int((high >> 16) & 0xFF)] ^ table[Int(high >> 24)]
                offset += 8
            }
            while offset < count {
                crc = table[Int((crc ^ UInt32(bytes[offset])) & 0xFF)] ^ (crc >> 8)
                offset += 1
            }
        }
        return ~crc
    }

    static func checksum(_ bytes: [UInt8]) -> UInt32 { bytes.withUnsafeBytes { checksum($0) } }

    /// The checksum of `first` followed by `second`, from their two checksums and the second's
    /// length, without their bytes.
    ///
    /// A snapshot's body is checksummed as it streams to disk, but its length is written before
    /// it, so the checksum of the whole file is put together at the end. The CRC is linear:
    /// appending `n` bytes multiplies the first part's remainder by x^(8n) modulo the polynomial
    /// and adds the second part's; the initial and final inversions cancel.
    static func combine(_ first: UInt32, _ second: UInt32, secondLength: Int) -> UInt32 {
        precondition(secondLength >= 0, "a length is never negative")
        return multiply(power(ofByteCount: secondLength), first) ^ second
    }

    private static let polynomial: UInt32 = 0x82F6_3B78

    /// `a · b` modulo the polynomial. Both are in the CRC's reflected order, so the top bit is
    /// the coefficient of x⁰ and shifting right multiplies by x.
    private static func multiply(_ a: UInt32, _ b: UInt32) -> UInt32 {
        var product: UInt32 = 0
        var multiple = b
        for bit in (0..<32).reversed() {
            if a >> bit & 1 == 1 { product ^= multiple }
            multiple = multiple & 1 == 1 ? (multiple >> 1) ^ polynomial : multiple >> 1
        }
        return product
    }

    /// x^(2^k) modulo the polynomial, for k = 0, 1, …: enough for any `Int` count of bytes.
    private static let powersOfTwo: [UInt32] = {
        var powers: [UInt32] = [1 << 30]
        while powers.count < 67 { powers.append(multiply(powers[powers.count - 1], powers[powers.count - 1])) }
        return powers
    }()

    /// x^(8 · count) modulo the polynomial: what appending `count` bytes multiplies by.
    private static func power(ofByteCount count: Int) -> UInt32 {
        var result: UInt32 = 1 << 31
        var remaining = UInt64(count)
        var exponent = 3
        while remaining != 0 {
            if remaining & 1 == 1 { result = multiply(powersOfTwo[exponent], result) }
            remaining >>= 1
            exponent += 1
        }
        return result
    }
}
