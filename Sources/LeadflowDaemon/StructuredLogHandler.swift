import Foundation
import LeadflowConfig
import LeadflowEngine
import Logging

/// Log lines for people (text) or collectors (JSON lines, logfmt), on standard error. Email
/// addresses and IP addresses in messages and metadata are replaced by a short hash when
/// `hashPersonalData` is on, so logs can be shipped without carrying buyers' identities (the
/// same address always hashes the same, so lines about one person still correlate).
public struct StructuredLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    public var metadataProvider: Logger.MetadataProvider?
    let label: String
    let format: LoggingSettings.Format
    let hashPersonalData: Bool
    let write: @Sendable (String) -> Void

    public init(label: String, format: LoggingSettings.Format, hashPersonalData: Bool, write: @escaping @Sendable (String) -> Void = StructuredLogHandler.standardError) {
        self.label = label
        self.format = format
        self.hashPersonalData = hashPersonalData
        self.write = write
    }

    public static let standardError: @Sendable (String) -> Void = { line in FileHandle.standardError.write(Data(line.utf8)) }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        write(Self.line(
            time: Date(), level: event.level, label: label, message: clean(event.message.description),
            metadata: merged.mapValues { clean("\($0)") }, format: format, source: event.source))
    }

    private func clean(_ text: String) -> String { hashPersonalData ? PersonalData.hashed(in: text) : text }

    /// One formatted line (with its newline).
    static func line(time: Date, level: Logger.Level, label: String, message: String, metadata: [String: String], format: LoggingSettings.Format, source: String) -> String {
        let stamp = timestamp(time)
        let keys = metadata.keys.sorted()
        switch format {
        case .text:
            let fields = keys.map { "\($0)=\(metadata[$0]!)" }.joined(separator: " ")
            return "\(stamp) \(level) \(label): \(message)\(fields.isEmpty ? "" : " " + fields)\n"
        case .json:
            var writer = JSONWriter()
            writer.field("time", stamp)
            writer.field("level", level.rawValue)
            writer.field("logger", label)
            writer.field("message", message)
            for key in keys where !["time", "level", "logger", "message"].contains(key) { writer.field(key, metadata[key]!) }
            return writer.finish() + "\n"
        case .logfmt:
            var parts = ["time=\(stamp)", "level=\(level.rawValue)", "logger=\(logfmt(label))", "msg=\(logfmt(message))"]
            parts += keys.map { "\($0)=\(logfmt(metadata[$0]!))" }
            return parts.joined(separator: " ") + "\n"
        }
    }

    private static func logfmt(_ value: String) -> String {
        let needsQuotes = value.isEmpty || value.contains { $0 == " " || $0 == "=" || $0 == "\"" || $0 == "\\" || $0.isNewline }
        guard needsQuotes else { return value }
        let escaped = value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
        return "\"\(escaped)\""
    }

    private static func timestamp(_ date: Date) -> String {
        RFC3339.format(EventTime(milliseconds: Int64((date.timeIntervalSince1970 * 1_000).rounded(.down))))
    }
}

/// Finds email and IP addresses in free text and replaces each with `email:<hash>` or `ip:<hash>`.
public enum PersonalData {
    public static func hashed(in text: String) -> String {
        guard text.contains("@") || text.contains(".") || text.contains(":") else { return text }
        var result = ""
        result.reserveCapacity(text.count)
        // Tokens are split at characters that cannot be part of an address.
        var token = ""
        func flush() {
            result += replacement(for: token) ?? token
            token = ""
        }
        for character in text {
            if character.isLetter || character.isNumber || "@._%+-:".contains(character) {
                token.append(character)
            } else {
                flush()
                result.append(character)
            }
        }
        flush()
        return result
    }

    static func replacement(for token: String) -> String? {
        // Trailing punctuation ("…at ana@acme.com.") stays outside the address.
        var core = Substring(token)
        var trailing = ""
        while let last = core.last, ".:-".contains(last) {
            trailing = String(last) + trailing
            core = core.dropLast()
        }
        let candidate = String(core)
        if isEmail(candidate) { return "email:" + SHA256.hex(candidate.lowercased(), characters: 12) + trailing }
        if isIPv4(candidate) || isIPv6(candidate) { return "ip:" + SHA256.hex(candidate.lowercased(), characters: 12) + trailing }
        return nil
    }

    static func isEmail(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."), !parts[1].hasSuffix(".") else { return false }
        return true
    }

    static func isIPv4(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { part in part.count <= 3 && UInt8(part) != nil }
    }

    static func isIPv6(_ text: String) -> Bool {
        // At least two colons and only hex digits otherwise ("2001:db8::1"); times like 12:30:05
        // have no hex letters or double colon and at most two colons, and are left alone.
        let colons = text.filter { $0 == ":" }.count
        guard colons >= 2, text.allSatisfy({ $0 == ":" || $0.isHexDigit }) else { return false }
        return text.contains("::") || colons >= 7
    }
}
