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

    /// Eight-byte words drawn from a fixed seed, one byte in `specialEvery` near a special value
    /// (often beside one in value, where the carry tricks could go wrong).
    static func randomWords(seed: UInt64, specialEvery: UInt64, count: Int) -> [[UInt8]] {
        var state = seed
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state
        }
        let nearSpecial: [UInt8] = [0x1F, 0x20, 0x21, 0x22, 0x23, 0x5B, 0x5C, 0x5D, 0x7F, 0x80, 0xFF, 0x00, 0x01]
        return (0..<count).map { _ in
            (0..<8).map { _ in
                let draw = next()
                return draw % specialEvery == 0 ? nearSpecial[Int((draw >> 8) % UInt64(nearSpecial.count))] : UInt8(0x20 + (draw >> 16) % 0x5F)
            }
        }
    }

    @Test("random words, special bytes often beside their neighbours in value, agree with a byte-by-byte check")
    func randomWords() {
        for bytes in Self.randomWords(seed: 0x5EED, specialEvery: 3, count: 50_000) {
            #expect(JSONReader.needsCheck(Self.word(bytes)) == bytes.contains(where: Self.isSpecial), "\(bytes)")
        }
    }

    @Test("the lowest byte flagged is exactly the first special byte, whatever follows it")
    func firstFlaggedByteIsTheFirstSpecial() {
        for bytes in Self.randomWords(seed: 0xF1257, specialEvery: 4, count: 50_000) {
            let mask = JSONReader.specialBytes(Self.word(bytes))
            let first = bytes.firstIndex(where: Self.isSpecial)
            #expect((mask == 0 ? nil : mask.trailingZeroBitCount / 8) == first, "\(bytes)")
        }
    }

    @Test("strings are read to their closing quote wherever it falls in a word, with escapes and UTF-8 checked")
    func stringsEndingAtEveryOffset() throws {
        for length in 0..<40 {
            for escapeAt in [nil] + Array(0..<length) {
                var text = String(repeating: "a", count: length)
                if let escapeAt { text = String(text.prefix(escapeAt)) + "\\\"" + String(text.dropFirst(escapeAt)) }
                let document = Array("{\"k\":\"\(text)\",\"n\":1}".utf8)
                var members: [(String, String)] = []
                try document.withUnsafeBufferPointer { buffer in
                    let strings = JSONReader(buffer)
                    var reader = strings
                    try reader.readObject { member in
                        if case .string(let range, let escaped) = member.value {
                            members.append((strings.string(member.key, escaped: false), strings.string(range, escaped: escaped)))
                        }
                    }
                }
                let expected = escapeAt.map { String(repeating: "a", count: $0) + "\"" + String(repeating: "a", count: length - $0) } ?? text
                #expect(members.count == 1 && members[0].0 == "k" && members[0].1 == expected, "length \(length), escape at \(String(describing: escapeAt))")
            }
        }
        // Invalid UTF-8 and raw control characters are still rejected, wherever they sit.
        for bad: [UInt8] in [[0xC3], [0xFF], [0x0A], [0x01]] {
            for offset in 0..<12 {
                let document = Array("{\"k\":\"".utf8) + Array(repeating: UInt8(ascii: "b"), count: offset) + bad + Array("bb\"}".utf8)
                #expect(throws: JSONReader.Failure.self) {
                    try document.withUnsafeBufferPointer { buffer in
                        var reader = JSONReader(buffer)
                        try reader.readObject { _ in }
                    }
                }
            }
        }
    }
}
