@testable import LeadflowEngine
import Testing

/// Output ids, hashed contacts and config versions are SHA-256 prefixes: downstream systems
/// join on them, so the digest must be the standard one at every padding boundary.
@Suite("SHA-256: the standard digest behind output ids and hashed contacts")
struct SHA256Tests {
    @Test("FIPS 180-4 example messages")
    func fipsExamples() {
        #expect(SHA256.hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            SHA256.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hex(String(repeating: "a", count: 1_000_000)) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Lengths either side of where the padding spills into another block (55/56 bytes) and of
    /// a block's end; digests from Python's hashlib.
    @Test("messages at the padding and block boundaries", arguments: [
        (55, "d5e285683cd4efc02d021a5c62014694958901005d6f71e89e0989fac77e4072"),
        (56, "04c26261370ee7541549d16dee320c723e3fd14671e66a099afe0a377c16888e"),
        (63, "75220b47218278e656f2013bb8f0c455a25eaf01e86c64924e9d48d89776d6f2"),
        (64, "7ce100971f64e7001e8fe5a51973ecdfe1ced42befe7ee8d5fd6219506b5393c"),
        (65, "9537c5fdf120482f7d58d25e9ed583f52c02b4e304ea814db1633ad565aed7e9"),
        (119, "000b48d4edf0fa7bee3c6236ecd2785baa5db4eeb8bb54341b029e0d9fa5fb0c"),
        (120, "13f05a0b594787f5ecd315edc96141bd3243203d1b7d4f0836f37308b276ba98"),
    ])
    func boundaries(length: Int, expected: String) {
        #expect(SHA256.hex(String(repeating: "x", count: length)) == expected)
    }

    @Test("text is hashed as its UTF-8 bytes, and hex gives the digest's first characters")
    func utf8AndPrefixes() {
        let full = "9534c8672ead48ddece01fe1b2fda0a0107409f0fca71691086399ba185a7a86"
        #expect(SHA256.hex("Ünïcødé@example.com") == full)
        #expect(SHA256.hex("Ünïcødé@example.com", characters: 24) == String(full.prefix(24)))
        #expect(SHA256.hex("Ünïcødé@example.com", characters: 7) == String(full.prefix(7)))
        #expect(SHA256.digest(Array("abc".utf8)).count == 32)
    }
}
