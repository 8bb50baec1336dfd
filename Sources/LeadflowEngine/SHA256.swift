/// SHA-256 (FIPS 180-4), for hashing emails and deriving deterministic output ids and config
/// versions without a crypto dependency.
public enum SHA256 {
    private static let k: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]

    public static func digest<Bytes: Collection>(_ message: Bytes) -> [UInt8] where Bytes.Element == UInt8 {
        var state = initialState
        // The message with its padding (0x80, zeros, the bit length) in whole 64-byte blocks.
        var data = [UInt8]()
        let paddedCount = (message.count + 9 + 63) / 64 * 64
        data.reserveCapacity(paddedCount)
        data.append(contentsOf: message)
        let bitLength = UInt64(data.count) * 8
        data.append(0x80)
        while data.count < paddedCount - 8 { data.append(0) }
        for shift in stride(from: 56, through: 0, by: -8) { data.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift))) }
        data.withUnsafeBufferPointer { blocks in
            for chunk in stride(from: 0, to: blocks.count, by: 64) {
                compress(&state, UnsafeBufferPointer(rebasing: blocks[chunk..<(chunk + 64)]))
            }
        }
        var out = [UInt8]()
        out.reserveCapacity(32)
        for word in state.words {
            for shift in stride(from: 24, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: word >> UInt32(shift))) }
        }
        return out
    }

    /// The eight hash words, held inline rather than in an array that every block would index
    /// through bounds checks.
    private struct State {
        var h0, h1, h2, h3, h4, h5, h6, h7: UInt32
        var words: [UInt32] { [h0, h1, h2, h3, h4, h5, h6, h7] }
    }

    private static let initialState = State(
        h0: 0x6a09e667, h1: 0xbb67ae85, h2: 0x3c6ef372, h3: 0xa54ff53a, h4: 0x510e527f, h5: 0x9b05688c, h6: 0x1f83d9ab, h7: 0x5be0cd19)

    /// One 64-byte block into the state.
    private static func compress(_ state: inout State, _ block: UnsafeBufferPointer<UInt8>) {
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { w in
            for t in 0..<16 {
                let base = t * 4
                w[t] = UInt32(block[base]) << 24 | UInt32(block[base + 1]) << 16 | UInt32(block[base + 2]) << 8 | UInt32(block[base + 3])
            }
            for t in 16..<64 {
                let s0 = w[t - 15].rotatedRight(7) ^ w[t - 15].rotatedRight(18) ^ (w[t - 15] >> 3)
                let s1 = w[t - 2].rotatedRight(17) ^ w[t - 2].rotatedRight(19) ^ (w[t - 2] >> 10)
                w[t] = w[t - 16] &+ s0 &+ w[t - 7] &+ s1
            }
            var (a, b, c, d, e, f, g, h) = (state.h0, state.h1, state.h2, state.h3, state.h4, state.h5, state.h6, state.h7)
            k.withUnsafeBufferPointer { k in
                for t in 0..<64 {
                    let s1 = e.rotatedRight(6) ^ e.rotatedRight(11) ^ e.rotatedRight(25)
                    let choice = (e & f) ^ (~e & g)
                    let temp1 = h &+ s1 &+ choice &+ k[t] &+ w[t]
                    let s0 = a.rotatedRight(2) ^ a.rotatedRight(13) ^ a.rotatedRight(22)
                    let majority = (a & b) ^ (a & c) ^ (b & c)
                    let temp2 = s0 &+ majority
                    (h, g, f, e, d, c, b, a) = (g, f, e, d &+ temp1, c, b, a, temp1 &+ temp2)
                }
            }
            state.h0 &+= a; state.h1 &+= b; state.h2 &+= c; state.h3 &+= d
            state.h4 &+= e; state.h5 &+= f; state.h6 &+= g; state.h7 &+= h
        }
    }

    /// The first `characters` hex digits of the digest of `text`'s UTF-8 bytes.
    public static func hex(_ text: String, characters: Int = 64) -> String {
        let digits: StaticString = "0123456789abcdef"
        let count = max(0, min(characters, 64))
        var out = [UInt8]()
        out.reserveCapacity(count)
        digits.withUTF8Buffer { digits in
            for byte in digest(text.utf8) where out.count < count {
                out.append(digits[Int(byte >> 4)])
                if out.count < count { out.append(digits[Int(byte & 0xF)]) }
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension UInt32 {
    fileprivate func rotatedRight(_ count: UInt32) -> UInt32 { (self >> count) | (self << (32 - count)) }
}
