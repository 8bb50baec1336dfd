@testable import LeadflowEngine
import Testing

@Suite("JSON reader: the eight-bytes-at-a-time string scan")
struct JSONReaderScanTests {
    /// The bytes a string scan must stop at: the closing quote, an escape, control characters
    /// (not allowed raw) and anything over 0x7F (UTF-8 to check).
    static func isSpecial(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 || byte >= 0x80
    }

    static func word(_ bytes: [UInt8]) -> UInt64 {
        bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
    }

    @Test("every byte value at every position of an otherwise plain word is flagged exactly when it is special")
    func everyByteEveryPosition() {
        for filler in [UInt8(ascii: "a"), UInt8(ascii: " "), UInt8(ascii: "!"), UInt8(ascii: "]"), 0x7F] {
            for position in 0..<8 {
                for value in UInt8.min...UInt8.max {
                    var bytes = Array(repeating: filler, count: 8)
                    bytes[position] = value
                    #expect(JSONReader.needsCheck(Self.word(bytes)) == Self.isSpecial(value), "byte \(value) at \(position) among \(filler)")
                }
            }
        }
    }

    @Test("random words, special bytes often beside their neighbours in value, agree with a byte-by-byte check")
    func randomWords() {
        var state: UInt64 = 0x5EED
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state
        }
        let nearSpecial: [UInt8] = [0x1F, 0x20, 0x21, 0x22, 0x23, 0x5B, 0x5C, 0x5D, 0x7F, 0x80, 0xFF, 0x00, 0x01]
        for _ in 0..<50_000 {
            let bytes = (0..<8).map { _ in
                let draw = next()
                return draw % 3 == 0 ? nearSpecial[Int((draw >> 8) % UInt64(nearSpecial.count))] : UInt8(0x20 + (draw >> 16) % 0x5F)
            }
            #expect(JSONReader.needsCheck(Self.word(bytes)) == bytes.contains(where: Self.isSpecial), "\(bytes)")
        }
    }
}
