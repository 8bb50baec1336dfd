@testable import LeadflowEngine
import Testing

@Suite("Binary layout: length-prefixed strings in snapshots")
struct BinaryLayoutTests {
    static func lengthPrefixed(_ bytes: [UInt8]) -> [UInt8] {
        withUnsafeBytes(of: UInt32(bytes.count).littleEndian, Array.init) + bytes
    }

    @Test("ASCII and other valid UTF-8 read back as written; invalid UTF-8 is corrupt, naming its offset")
    func strings() throws {
        for text in ["", "acc-000042", "new:acme.example", "Zürich", "東京 office", "emoji 🚀 at the end"] {
            var reader = ByteReader(bytes: Self.lengthPrefixed(Array(text.utf8)))
            #expect(try reader.string() == text)
            #expect(reader.isAtEnd)
        }
        for bad: [UInt8] in [[0xC3, 0x28], [0x61, 0xFF], [0xE6, 0x9D], [0x80]] {
            var reader = ByteReader(bytes: Self.lengthPrefixed(bad))
            #expect { try reader.string() } throws: { "\($0)".contains("invalid UTF-8 at offset 4") }
        }
    }
}
