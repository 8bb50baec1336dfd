import Foundation
import LeadflowEngine
import Testing

@Suite("JSON writer")
struct JSONWriterTests {
    private func written(_ value: String) -> String {
        var text = ""
        JSONWriter.appendString(value, to: &text)
        return text
    }

    @Test("quotes, backslashes and control characters are escaped; everything else is written as is")
    func escapes() {
        #expect(written("acme.com") == #""acme.com""#)
        #expect(written(#"say "hi""#) == #""say \"hi\"""#)
        #expect(written(#"a\b"#) == #""a\\b""#)
        #expect(written("line\nnext\ttab\rret") == #""line\nnext\ttab\rret""#)
        #expect(written("\u{01}\u{1F}") == #""\u0001\u001f""#)
        #expect(written("Zürich — 東京 🚀\u{7F}") == "\"Zürich — 東京 🚀\u{7F}\"")
        #expect(written("") == #""""#)
    }

    @Test("any string reads back unchanged through a JSON parser")
    func roundTrip() throws {
        var generator = SeededGenerator(state: 7)
        let alphabet: [Unicode.Scalar] = ["a", "Z", "0", " ", "\"", "\\", "/", "\n", "\r", "\t", "\u{00}", "\u{08}", "\u{1F}", "\u{7F}", "é", "€", "東", "🚀"]
        for _ in 0..<2_000 {
            var value = String.UnicodeScalarView()
            for _ in 0..<Int.random(in: 0...12, using: &generator) { value.append(alphabet.randomElement(using: &generator)!) }
            let text = String(value)
            let parsed = try JSONSerialization.jsonObject(with: Data(written(text).utf8), options: [.fragmentsAllowed]) as? String
            #expect(parsed == text, "wrote \(written(text))")
        }
    }

    @Test("nested objects and arrays of objects are written in place, in order")
    func nested() throws {
        var writer = JSONWriter()
        writer.field("a", 1)
        writer.object("inner") { inner in
            inner.field("b", "x")
            inner.object("deeper") { $0.field("c", true) }
        }
        writer.objects("list", [1, 2]) { item, n in item.field("n", n) }
        writer.objects("none", [Int]()) { item, n in item.field("n", n) }
        writer.object("empty") { _ in }
        writer.field("z", "end")
        let text = writer.finish()
        #expect(text == #"{"a":1,"inner":{"b":"x","deeper":{"c":true}},"list":[{"n":1},{"n":2}],"none":[],"empty":{},"z":"end"}"#)
        #expect(try JSONSerialization.jsonObject(with: Data(text.utf8)) is [String: Any])
    }
}
