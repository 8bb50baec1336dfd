/// A glob over URL paths (`*` matches any run of characters), as page categories and
/// first-party surge topics are configured.
public struct URLPattern: Sendable, Hashable {
    public let pattern: String
    private let bytes: [UInt8]

    public init(_ pattern: String) {
        self.pattern = pattern
        bytes = Array(pattern.lowercased().utf8)
    }

    public func matches(path: [UInt8]) -> Bool {
        var p = 0
        var s = 0
        var star = -1
        var mark = 0
        while s < path.count {
            if p < bytes.count && bytes[p] == UInt8(ascii: "*") {
                star = p
                mark = s
                p += 1
            } else if p < bytes.count && bytes[p] == path[s] {
                p += 1
                s += 1
            } else if star >= 0 {
                p = star + 1
                mark += 1
                s = mark
            } else {
                return false
            }
        }
        while p < bytes.count && bytes[p] == UInt8(ascii: "*") { p += 1 }
        return p == bytes.count
    }

    /// The lower-cased path of an http(s) URL: after the host, before `?` or `#`; "/" when empty.
    public static func path(of url: String) -> [UInt8] {
        let bytes = Array(url.utf8)
        var index = 0
        if let schemeEnd = findSubsequence(bytes, [58, 47, 47]) { index = schemeEnd + 3 }
        while index < bytes.count, bytes[index] != 47, bytes[index] != 63, bytes[index] != 35 { index += 1 }
        var path: [UInt8] = []
        while index < bytes.count, bytes[index] != 63, bytes[index] != 35 {
            let byte = bytes[index]
            path.append(byte >= 65 && byte <= 90 ? byte + 32 : byte)
            index += 1
        }
        return path.isEmpty ? [47] : path
    }

    private static func findSubsequence(_ bytes: [UInt8], _ needle: [UInt8]) -> Int? {
        guard bytes.count >= needle.count else { return nil }
        for start in 0...(bytes.count - needle.count) where bytes[start..<(start + needle.count)].elementsEqual(needle) {
            return start
        }
        return nil
    }
}
