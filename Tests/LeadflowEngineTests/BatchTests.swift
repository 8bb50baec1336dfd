import LeadflowEngine
import PropertyBased
import Testing

@Suite("Batch processing")
struct BatchTests {
    /// Random JSON inputs over a few accounts: known, new-logo and free-mail domains, anonymous
    /// visitors who later identify, unknown forms, malformed lines and events past the clock.
    static func lines(seed: UInt64, count: Int) -> [(bytes: [UInt8], clock: EventTime?, task: Int32)] {
        var random = SeededGenerator(state: seed)
        let start = History.start
        return (0..<count).map { index in
            // Also a domain that normalises to a known one, and one the decoder rejects.
            let domain = ["a.example", "b.example", "c.example", "new.example", "other.example", "gmail.com", "WWW.B.Example.", "not_a.domain"]
                .randomElement(using: &random)!
            let at = start + Int64.random(in: 0..<(21 * 86_400_000), using: &random)
            let person = Int.random(in: 0..<4, using: &random)
            let visitor = "v\(person)-\(Int.random(in: 0..<3, using: &random))"
            let text: String
            switch Int.random(in: 0..<20, using: &random) {
            case 0..<9:
                let page = History.pages.randomElement(using: &random)!
                let named = Int.random(in: 0..<4, using: &random)
                let mailDomain = ["a.example", "gmail.com", "new.example"].randomElement(using: &random)!
                let who = switch named {
                case 0: ""
                case 1: #","account_domain":"\#(domain)""#
                case 2: #","email":"p\#(person)@\#(domain)""#
                // Both: the email's domain counts when the account domain resolves to nothing.
                default: #","account_domain":"\#(domain)","email":"p\#(person)@\#(mailDomain)""#
                }
                text = #"{"type":"page_view","event_id":"e\#(index)","occurred_at":\#(at),"visitor_id":"\#(visitor)","url":"https://v.example/\#(page)"\#(who)}"#
            case 9..<13:
                let form = History.forms.randomElement(using: &random)!
                text = #"{"type":"form_submission","event_id":"e\#(index)","occurred_at":\#(at),"email":"p\#(person)@\#(domain)","form_type":"\#(form)","visitor_id":"\#(visitor)","seniority":"vp"}"#
            case 13..<17:
                let score = Int.random(in: 30...95, using: &random)
                text = #"{"type":"intent_surge","event_id":"e\#(index)","occurred_at":\#(at),"account_domain":"\#(domain)","topic":"crm","score":\#(score)}"#
            case 17:
                text = #"{"type":"page_view","event_id":"e\#(index)","occurred_at":"#
            case 18:
                text = #"{"type":"intent_surge","event_id":"e\#(index)","occurred_at":\#(at),"account_domain":"\#(domain)","topic":"crm","score":140}"#
            default:
                // Stamped a day past the clock the caller passes.
                text = #"{"type":"intent_surge","event_id":"e\#(index)","occurred_at":\#(at + 86_400_000),"account_domain":"\#(domain)","topic":"etl","score":80}"#
            }
            return (Array(text.utf8), EventTime(milliseconds: at), Int32(person % 2))
        }
    }

    static func describe(_ result: Engine.Result) -> String {
        [
            result.outcome.rawValue, result.accountID ?? "-", result.eventType ?? "-", result.rejection?.description ?? "-",
            result.outputs.map { $0.json() }.joined(separator: "\n"),
        ].joined(separator: " | ")
    }

    @Test("a batch gives exactly the results, outputs and state of one input at a time, whatever the batch sizes")
    func batchEqualsOneAtATime() async {
        let model = CompiledModel(ScoringModel())
        await propertyCheck(count: 40, input: Gen.int(in: 0...Int(UInt32.max))) { seed in
            let inputs = Self.lines(seed: UInt64(seed), count: 200)
            var single = Engine(model: model, directory: AccountDirectory(records: History.records))
            var expected: [String] = []
            for input in inputs {
                single.currentTask = input.task
                expected.append(Self.describe(single.process(input.bytes, clock: input.clock)))
            }

            var batched = Engine(model: model, directory: AccountDirectory(records: History.records))
            var random = SeededGenerator(state: UInt64(seed) ^ 0x5EED)
            var results: [String] = []
            var position = 0
            while position < inputs.count {
                let size = min(inputs.count - position, [1, 2, 3, 5, 8, 40].randomElement(using: &random)!)
                let slice = Array(inputs[position..<(position + size)])
                let buffers = slice.map { input in
                    let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: input.bytes.count)
                    _ = buffer.initialize(from: input.bytes)
                    return buffer
                }
                defer { buffers.forEach { $0.deallocate() } }
                let batch = zip(slice, buffers).map { input, buffer in
                    Engine.BatchInput(bytes: UnsafeBufferPointer(buffer), clock: input.clock, task: input.task)
                }
                var indices: [Int] = []
                batched.process(batch: batch) { index, result in
                    indices.append(index)
                    results.append(Self.describe(result))
                }
                #expect(indices == Array(0..<size), "results come in input order, one each")
                position += size
            }
            #expect(results == expected)
            let sameState = StateCodec.encode(batched.state) == StateCodec.encode(single.state)
            #expect(sameState, "the state after the batches differs from the state after single inputs (seed \(seed))")
            #expect(expected.contains { $0.hasPrefix("rejected") } && expected.contains { $0.hasPrefix("held") })
            #expect(expected.contains { $0.contains("\"type\":\"routing_decision\"") } || expected.contains { $0.contains("surge_trigger") })
        }
    }
}
