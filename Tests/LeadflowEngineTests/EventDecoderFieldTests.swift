import Foundation
@testable import LeadflowEngine
import Testing

@Suite("Event decoder: members filed by name as they are read")
struct EventDecoderFieldTests {
    static func decode(_ json: String) -> Result<InputEvent, Rejection> { EventDecoder.decode(Array(json.utf8)) }

    static func rejection(_ json: String) -> Rejection? {
        if case .failure(let rejection) = decode(json) { return rejection }
        return nil
    }

    static let view = #""type":"page_view","event_id":"pv-1","occurred_at":1763892900000,"visitor_id":"v-1","url":"https://leadflow.example/pricing""#

    /// The name these bytes spell, found both ways: copied out, and loaded in place from a
    /// document with more bytes after the key (which must not count).
    static func named(_ key: [UInt8]) -> FieldName? {
        let copied = key.withUnsafeBufferPointer { FieldName.named($0) }
        let document = key + Array(#"":"zzzzzzzzzzzzzzzz"}"#.utf8)
        let inPlace = document.withUnsafeBufferPointer { FieldName.named(UnsafeBufferPointer(rebasing: $0[..<key.count]), readable: $0.count) }
        #expect(copied == inPlace, "\(key): copied \(String(describing: copied)), in place \(String(describing: inPlace))")
        return copied
    }

    @Test("every known name is found from its own bytes, and near misses are not")
    func namesRoundTrip() {
        #expect(Set(FieldName.allCases.map(\.rawValue)) == Set(0..<FieldName.count))
        for name in FieldName.allCases {
            let text = name.description
            let bytes = Array(text.utf8)
            #expect(Self.named(bytes) == name, "\(text)")
            // The same length with any one byte changed is another, unknown name.
            for position in bytes.indices {
                var changed = bytes
                changed[position] = changed[position] == UInt8(ascii: "x") ? UInt8(ascii: "y") : UInt8(ascii: "x")
                let found = Self.named(changed)
                #expect(found == nil || found!.description == String(decoding: changed, as: UTF8.self), "\(text) changed at \(position)")
            }
            #expect(Self.named(Array((text + "s").utf8)) == nil)
            #expect(Self.named(Array(text.utf8.dropLast())) == nil)
        }
        #expect([UInt8]().withUnsafeBufferPointer { FieldName.named($0) } == nil)
        #expect(Array("x".utf8).withUnsafeBufferPointer { FieldName.named($0) } == nil)
    }

    @Test("a name given twice keeps its last value, whichever of the two is the bad one")
    func lastDuplicateWins() throws {
        guard case .success(.pageView(let view)) = Self.decode("{" + Self.view + #","url":"https://leadflow.example/docs"}"#) else {
            Issue.record("a repeated valid url was rejected")
            return
        }
        #expect(view.url == "https://leadflow.example/docs")
        #expect(Self.rejection("{" + Self.view + #","url":7}"#) == Rejection(.wrongType, field: "url", expected: "an http(s) URL", found: "integer 7"))
        let first = #"{"url":7,"# + Self.view + "}"
        guard case .success(.pageView(let fixed)) = Self.decode(first) else {
            Issue.record("an earlier bad url overrode the later good one")
            return
        }
        #expect(fixed.url == "https://leadflow.example/pricing")
    }

    @Test("a name written with escapes is not the schema's name")
    func escapedNamesDoNotMatch() {
        let escaped = Self.view.replacingOccurrences(of: #""visitor_id""#, with: #""\u0076isitor_id""#)
        #expect(Self.rejection("{" + escaped + "}") == Rejection(.missingField, field: "visitor_id", expected: "a string", found: "nothing"))
    }

    @Test("utm fields must be strings or null: the first offender in document order is named")
    func utmFieldsAreStrings() {
        #expect(Self.rejection("{" + Self.view + #","utm_source":"x","utm_medium":null}"#) == nil)
        #expect(Self.rejection("{" + Self.view + #","utm_a":"x","utm_b":true,"utm_c":3}"#)
            == Rejection(.wrongType, field: "utm_b", expected: "a string", found: "boolean true"))
        // Other event types carry no utm contract.
        let intent = #"{"type":"intent_surge","event_id":"i","occurred_at":1,"account_domain":"acme.com","topic":"t","score":60,"utm_a":1}"#
        #expect(Self.rejection(intent) == nil)
    }

    @Test("fields of other event types are ignored, whatever their values")
    func otherTypesFieldsIgnored() {
        #expect(Self.rejection("{" + Self.view + #","score":"high","form_type":5,"domains":{}}"#) == nil)
        #expect(Self.rejection(#"{"type":"intent_surge","event_id":"i","occurred_at":1,"account_domain":"acme.com","topic":"t","score":60,"url":false}"#) == nil)
    }
}
