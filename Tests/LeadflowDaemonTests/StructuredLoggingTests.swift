import Foundation
import LeadflowConfig
import LeadflowDaemon
import Logging
import Testing

/// Lines written by a handler, for inspection.
final class CapturedLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ line: String) { lock.withLock { lines.append(line) } }
    var all: [String] { lock.withLock { lines } }
}

@Suite("Structured logs")
struct StructuredLoggingTests {
    static func logger(_ format: LoggingSettings.Format, hashing: Bool = true) -> (Logger, CapturedLines) {
        let captured = CapturedLines()
        var logger = Logger(label: "leadflow.test") { label in
            StructuredLogHandler(label: label, format: format, hashPersonalData: hashing) { captured.append($0) }
        }
        logger.logLevel = .debug
        return (logger, captured)
    }

    @Test("JSON lines carry time, level, logger, message and metadata; emails and IPs are hashed")
    func jsonLines() throws {
        let (logger, captured) = Self.logger(.json)
        logger.warning("form from Ana@Acme.com rejected", metadata: ["ip": "203.0.113.7", "partition": "page-views:3", "v6": "2001:db8::1"])
        let line = try #require(captured.all.first)
        #expect(line.hasSuffix("\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
        #expect(object["level"] == "warning")
        #expect(object["logger"] == "leadflow.test")
        #expect(object["partition"] == "page-views:3")
        #expect(object["time"]?.hasSuffix("Z") == true)
        #expect(!line.contains("Acme.com") && !line.contains("203.0.113.7") && !line.contains("2001:db8"))
        // The same address always hashes the same, whatever its case.
        logger.info("again ana@acme.com")
        let hash = try #require(object["message"]?.split(separator: " ").first { $0.hasPrefix("email:") })
        #expect(captured.all[1].contains(hash))
        #expect(object["ip"]?.hasPrefix("ip:") == true)
    }

    @Test("logfmt quotes values with spaces and escapes quotes; hashing can be turned off")
    func logfmt() throws {
        let (logger, captured) = Self.logger(.logfmt, hashing: false)
        logger.error("snapshot failed", metadata: ["error": "disk \"full\"", "task": "3", "email": "ana@acme.com"])
        let line = try #require(captured.all.first)
        #expect(line.contains(#"msg="snapshot failed""#))
        #expect(line.contains(#"error="disk \"full\"""#))
        #expect(line.contains(" task=3"))
        #expect(line.contains("email=ana@acme.com"))
        #expect(line.contains("level=error"))
    }

    @Test("times, offsets and broker addresses are not mistaken for personal data")
    func noFalsePositives() {
        for text in ["at 12:30:05", "2026-11-23T10:00:00.123Z", "page-views:0:1234", "127.0.0.1:9092", "v1.2.3", "acme.com"] {
            #expect(PersonalData.hashed(in: text) == text)
        }
        #expect(PersonalData.hashed(in: "from 10.0.0.1.") .hasPrefix("from ip:"))
        #expect(PersonalData.hashed(in: "from 10.0.0.1.").hasSuffix("."))
    }
}
