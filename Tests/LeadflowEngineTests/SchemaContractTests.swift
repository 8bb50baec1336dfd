import Foundation
import LeadflowEngine
import Testing

@Suite("Input contracts: the decoder accepts exactly what the schemas accept")
struct SchemaContractTests {
    /// The reference validator's verdict on every example line, from schemas/check_examples.py.
    static func schemaVerdicts() throws -> [String: Bool] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Repository.path("schemas/check_examples.py")]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CocoaError(.executableLoad) }
        return try JSONDecoder().decode([String: Bool].self, from: data)
    }

    static func decoderAccepts(file: String, line: String) -> Bool {
        let bytes = Array(line.utf8)
        if file.hasPrefix("account.") {
            if case .success = EventDecoder.decodeAccount(bytes) { return true }
            return false
        }
        if case .success = EventDecoder.decode(bytes) { return true }
        return false
    }

    @Test("every example gets the same verdict from the decoder and the JSON Schema validator")
    func decoderMatchesSchema() throws {
        let verdicts = try Self.schemaVerdicts()
        #expect(verdicts.count >= 40)
        var compared = 0
        for file in ["page_view", "intent_surge", "form_submission", "account"].flatMap({ ["\($0).valid.jsonl", "\($0).invalid.jsonl"] }) {
            let lines = try Repository.text("schemas/\(file)").split(separator: "\n", omittingEmptySubsequences: false)
            for (index, line) in lines.enumerated() where !line.trimmingCharacters(in: .whitespaces).isEmpty {
                let key = "\(file):\(index + 1)"
                guard let schemaSays = verdicts[key] else {
                    Issue.record("no schema verdict for \(key)")
                    continue
                }
                let decoderSays = Self.decoderAccepts(file: file, line: String(line))
                #expect(decoderSays == schemaSays, "\(key): decoder \(decoderSays), schema \(schemaSays)")
                #expect(schemaSays == file.contains(".valid."), "\(key) is in the wrong file")
                compared += 1
            }
        }
        #expect(compared == verdicts.keys.filter { !$0.hasPrefix("routing_decision") && !$0.hasPrefix("surge_trigger") }.count)
    }

    @Test("output contracts: the engine's golden outputs satisfy the output schemas, and broken ones do not")
    func outputsMatchSchemas() throws {
        let verdicts = try Self.schemaVerdicts()
        let golden = try Repository.text("Tests/LeadflowEngineTests/Scenarios/fortnight.expected.jsonl").split(separator: "\n")
        for type in ["routing_decision", "surge_trigger"] {
            // The valid examples are the golden scenario's outputs, so the schema is checked against what the engine emits.
            let examples = try Repository.text("schemas/\(type).valid.jsonl").split(separator: "\n")
            #expect(examples == golden.filter { $0.contains("\"type\":\"\(type)\"") })
            for index in examples.indices { #expect(verdicts["\(type).valid.jsonl:\(index + 1)"] == true) }
            let invalid = try Repository.text("schemas/\(type).invalid.jsonl").split(separator: "\n")
            #expect(!invalid.isEmpty)
            for index in invalid.indices { #expect(verdicts["\(type).invalid.jsonl:\(index + 1)"] == false) }
        }
    }

    @Test("rejections name the field, what was expected and what was found")
    func rejectionsAreSpecific() {
        func rejection(_ json: String) -> Rejection? {
            if case .failure(let rejection) = EventDecoder.decode(Array(json.utf8)) { return rejection }
            return nil
        }
        let score = rejection(#"{"type":"intent_surge","event_id":"x","occurred_at":"2026-11-23T00:00:00Z","account_domain":"a.example","topic":"t","score":140}"#)
        #expect(score == Rejection(.invalidValue, field: "score", expected: "a number from 0 to 100", found: "140"))
        let missing = rejection(#"{"type":"page_view","event_id":"x","occurred_at":"2026-11-23T00:00:00Z","url":"https://a.example/"}"#)
        #expect(missing?.reason == .missingField)
        #expect(missing?.field == "visitor_id")
        let type = rejection(#"{"type":"page_view","event_id":7,"occurred_at":"2026-11-23T00:00:00Z","visitor_id":"v","url":"https://a.example/"}"#)
        #expect(type == Rejection(.wrongType, field: "event_id", expected: "a string", found: "integer 7"))
        let unknown = rejection(#"{"type":"purchase","event_id":"x"}"#)
        #expect(unknown?.reason == .unknownEventType)
        #expect(unknown?.found == "\"purchase\"")
        let broken = rejection(#"{"type":"page_view","event_id":"x""#)
        #expect(broken?.reason == .malformedJSON)
        let calendar = rejection(#"{"type":"page_view","event_id":"x","occurred_at":"2026-02-30T00:00:00Z","visitor_id":"v","url":"https://a.example/"}"#)
        #expect(calendar?.field == "occurred_at")
        #expect(rejection(#"{"type":"page_view","event_id":"x","occurred_at":"2026-11-23T00:00:00Z","visitor_id":"v","url":"https://a.example/","title":"\ud83d\ude00 \u00e9"}"#) == nil)
    }

    @Test("raw bytes in strings must be UTF-8, with or without escapes beside them")
    func rawUTF8() {
        func decode(title: [UInt8]) -> Result<InputEvent, Rejection> {
            let head = #"{"type":"page_view","event_id":"x","occurred_at":"2026-11-23T00:00:00Z","visitor_id":"v","url":"https://a.example/","title":""#
            return EventDecoder.decode(Array(head.utf8) + title + Array(#""}"#.utf8))
        }
        // "Café" and a 4-byte emoji as raw UTF-8 decode to themselves.
        guard case .success(.pageView(let view)) = decode(title: Array("Café \u{1F600}".utf8) + Array(#"\n"#.utf8)) else {
            Issue.record("valid raw UTF-8 was rejected")
            return
        }
        #expect(view.title == "Café \u{1F600}\n")
        // A lone continuation byte, a truncated sequence, an overlong encoding: each rejected.
        for bad: [UInt8] in [[0x43, 0x80], [0xC3], [0xE2, 0x82], [0xC0, 0xAF], [0xFF]] {
            for escape in [[], Array(#"\t"#.utf8)] {
                guard case .failure(let rejection) = decode(title: bad + escape) else {
                    Issue.record("invalid UTF-8 \(bad) was accepted")
                    continue
                }
                #expect(rejection.reason == .malformedJSON)
            }
        }
    }

    @Test("timestamps: RFC 3339 with offsets and fractions, or epoch milliseconds, to the same instant")
    func timestamps() {
        #expect(RFC3339.parse("2026-11-23T10:15:00Z")?.milliseconds == 1_795_428_900_000)
        #expect(RFC3339.parse("2026-11-23T12:15:00.250+02:00")?.milliseconds == 1_795_428_900_250)
        #expect(RFC3339.parse("2024-02-29T00:00:00Z") != nil)
        #expect(RFC3339.parse("2023-02-29T00:00:00Z") == nil)
        #expect(RFC3339.parse("2026-11-23 10:15:00") == nil)
        #expect(EventTime(milliseconds: 1_795_428_900_250).description == "2026-11-23T10:15:00.250Z")
        #expect(EventTime(milliseconds: 0).description == "1970-01-01T00:00:00Z")
    }

    @Test("timestamps written as RFC 3339: zero-padded fields, milliseconds only when present, and they read back to the same instant")
    func timestampsWritten() {
        #expect(RFC3339.format(EventTime(milliseconds: -62_000_000_000_000)) == "0005-04-19T09:46:40Z")
        #expect(RFC3339.format(EventTime(milliseconds: 1_795_478_399_007)) == "2026-11-23T23:59:59.007Z")
        #expect(RFC3339.format(EventTime(milliseconds: -1)) == "1969-12-31T23:59:59.999Z")
        // From year 0 to 9999, every written time reads back exactly.
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let time = EventTime(milliseconds: Int64.random(in: -62_167_219_200_000...253_402_300_799_999, using: &generator))
            let text = RFC3339.format(time)
            #expect(RFC3339.parse(text) == time, "\(time.milliseconds) written as \(text)")
        }
    }
}
