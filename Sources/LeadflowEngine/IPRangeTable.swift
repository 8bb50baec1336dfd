/// IPv4 CIDR ranges owned by known accounts (office egress, VPN ranges), longest prefix wins.
public struct IPRangeTable: Sendable, Hashable {
    struct Entry: Sendable, Hashable {
        var network: UInt32
        var prefixLength: Int
        var accountID: String
    }
    private var entries: [Entry] = []

    public init() {}

    /// Adds `a.b.c.d/len`; returns false when the text is not an IPv4 CIDR.
    @discardableResult
    public mutating func add(cidr: String, accountID: String) -> Bool {
        let parts = cidr.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let address = Self.parseIPv4(String(parts[0])), let length = Int(parts[1]), (0...32).contains(length)
        else { return false }
        let mask: UInt32 = length == 0 ? 0 : ~UInt32(0) << UInt32(32 - length)
        entries.append(Entry(network: address & mask, prefixLength: length, accountID: accountID))
        entries.sort { ($0.prefixLength, $0.network) > ($1.prefixLength, $1.network) }
        return true
    }

    public func account(for ip: String) -> String? {
        guard !entries.isEmpty, let address = Self.parseIPv4(ip) else { return nil }
        for entry in entries {
            let mask: UInt32 = entry.prefixLength == 0 ? 0 : ~UInt32(0) << UInt32(32 - entry.prefixLength)
            if address & mask == entry.network { return entry.accountID }
        }
        return nil
    }

    public static func parseIPv4(_ text: String) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy(\.isASCII), let octet = UInt32(part), octet <= 255 else { return nil }
            value = value << 8 | octet
        }
        return value
    }
}
