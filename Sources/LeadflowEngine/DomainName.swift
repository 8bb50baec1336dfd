import Foundation

/// Domain names as accounts are keyed: lower case, no trailing dot, no `www.`, and subdomains
/// reduced to the registrable domain (`eu.app.acme.co.uk` → `acme.co.uk`).
public enum DomainName {
    /// Multi-label public suffixes common in B2B traffic; a registrable domain keeps one label
    /// more than its suffix. (Single-label suffixes such as `com` need no entry.)
    static let multiLabelSuffixes: Set<String> = [
        "co.uk", "org.uk", "ac.uk", "gov.uk", "ltd.uk", "plc.uk", "me.uk", "com.au", "net.au", "org.au", "edu.au",
        "gov.au", "co.nz", "org.nz", "co.jp", "ne.jp", "or.jp", "ac.jp", "co.kr", "or.kr", "com.br", "net.br",
        "org.br", "com.mx", "org.mx", "com.ar", "com.cn", "net.cn", "org.cn", "com.hk", "com.sg", "com.tw",
        "co.in", "net.in", "org.in", "firm.in", "co.za", "org.za", "co.il", "org.il", "com.tr", "com.pl", "co.id",
        "com.my", "com.ph", "com.vn", "co.th", "com.sa", "com.eg", "com.ng", "co.ke", "com.co", "com.pe", "com.uy",
        "gc.ca", "qc.ca", "on.ca", "bc.ca",
    ]

    /// The registrable, normalised form of a host or domain; nil when nothing usable is left.
    public static func normalize(_ raw: String) -> String? {
        if isAlreadyNormal(raw) { return raw }
        var host = raw.lowercased()
        while host.hasSuffix(".") { host.removeLast() }
        while host.hasPrefix("www.") { host.removeFirst(4) }
        guard isValidSyntax(host) else { return nil }
        let labels = host.split(separator: ".")
        guard labels.count >= 2 else { return nil }
        if labels.count >= 3 {
            let lastTwo = labels[(labels.count - 2)...].joined(separator: ".")
            let keep = multiLabelSuffixes.contains(lastTwo) ? 3 : 2
            return labels.suffix(keep).joined(separator: ".")
        }
        return host
    }

    /// The common case, checked without allocating: lower-case `name.tld` with no `www.`.
    private static func isAlreadyNormal(_ raw: String) -> Bool {
        var dots = 0
        var previous: UInt8 = 46
        var count = 0
        var label = 0
        for byte in raw.utf8 {
            count += 1
            label += 1
            if label > 64 { return false }
            if byte == 46 {
                if previous == 46 || previous == 45 { return false }
                dots += 1
                label = 0
            } else if !((97...122).contains(byte) || (48...57).contains(byte) || (byte == 45 && previous != 46)) {
                return false
            }
            previous = byte
        }
        guard dots == 1, previous != 46, previous != 45, count <= 253 else { return false }
        return !raw.hasPrefix("www.")
    }

    /// The normalised domain of an email address (`Ana@Sales.Acme.com` → `acme.com`).
    public static func ofEmail(_ email: String) -> String? {
        guard let at = email.lastIndex(of: "@") else { return nil }
        return normalize(String(email[email.index(after: at)...]))
    }

    /// The normalised host of an http(s) URL.
    public static func ofURL(_ url: String) -> String? {
        guard let scheme = url.range(of: "://") else { return nil }
        let rest = url[scheme.upperBound...]
        let host = rest.prefix { $0 != "/" && $0 != ":" && $0 != "?" && $0 != "#" }
        return normalize(String(host))
    }

    /// `^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+\.?$`, labels ≤ 63.
    public static func isValidSyntax(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { isValidSyntax($0) }
    }

    /// `isValidSyntax` on UTF-8 bytes, in place (every page view's domain passes through here,
    /// straight from the message).
    static func isValidSyntax(_ utf8: UnsafeBufferPointer<UInt8>) -> Bool {
        let bytes = utf8.last == 46 ? utf8.dropLast() : utf8[...]
        guard !bytes.isEmpty, bytes.count <= 253 else { return false }
        var labels = 0
        var labelLength = 0
        var previous: UInt8 = 46
        for byte in bytes {
            if byte == 46 {
                guard labelLength > 0, previous != 45 else { return false }
                labels += 1
                labelLength = 0
            } else {
                let alphanumeric = (48...57).contains(byte) || (65...90).contains(byte) || (97...122).contains(byte)
                guard alphanumeric || (byte == 45 && labelLength > 0) else { return false }
                labelLength += 1
                guard labelLength <= 63 else { return false }
            }
            previous = byte
        }
        guard labelLength > 0, previous != 45 else { return false }
        return labels + 1 >= 2
    }
}

/// Consumer mailbox providers: an address there says nothing about the person's company.
public enum FreeMailDomains {
    public static let shipped: Set<String> = [
        "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "yahoo.fr", "yahoo.de", "ymail.com", "hotmail.com",
        "hotmail.co.uk", "hotmail.fr", "outlook.com", "live.com", "msn.com", "aol.com", "icloud.com", "me.com",
        "mac.com", "proton.me", "protonmail.com", "gmx.com", "gmx.de", "gmx.net", "web.de", "mail.com", "yandex.com",
        "yandex.ru", "mail.ru", "qq.com", "163.com", "126.com", "zoho.com", "fastmail.com", "hey.com", "tutanota.com",
        "orange.fr", "free.fr", "laposte.net", "t-online.de", "libero.it", "comcast.net", "verizon.net", "att.net",
    ]
}
