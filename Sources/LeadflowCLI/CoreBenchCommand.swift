import ArgumentParser
import Foundation
import LeadflowEngine

struct CoreBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "core",
        abstract: "Engine throughput on one core (decode JSON bytes → apply → outputs) and memory per account.",
        discussion: """
            Builds reference data, fills the engine with --accounts accounts (one event each), then times \
            --events further events of a realistic mix (86% page views, 10% intent scores, 4% forms), applied in \
            batches of a thousand as the daemon applies what it polls. Targets: \
            at least 1,500,000 events/s and at most 512 bytes of state per account at 1,000,000 accounts. In the \
            same run it times a plain byte scan of the same bytes (the ceiling) and Foundation's JSONDecoder on a \
            sample (the naive baseline), and prints Leadflow's rate as ratios of both. Memory is printed twice: as the \
            fill leaves it (one event per account) and after the timed run, when accounts hold (accounts + events) / \
            accounts events on average.
            """
    )

    @Option(help: "Accounts in state.")
    var accounts: Int = 1_000_000

    @Option(help: "Events in the timed run.")
    var events: Int = 2_000_000

    @Option(help: "Accounts with a reference record (the rest are new logos).")
    var referenceAccounts: Int = 200_000

    @Flag(help: "End with a single-line JSON object of all figures.")
    var json = false

    func validate() throws {
        guard accounts > 0, events > 0 else { throw ValidationError("--accounts and --events must be positive") }
        guard referenceAccounts >= 0 else { throw ValidationError("--reference-accounts must not be negative") }
    }

    func run() throws {
        var traffic = SyntheticTraffic(seed: 42)
        let directory = AccountDirectory(records: traffic.accounts(count: min(referenceAccounts, accounts)))
        var engine = Engine(model: CompiledModel(ScoringModel()), directory: directory)
        let start = Int64(1_793_000_000_000)

        // Fill: one page view per account.
        progress("filling state with \(accounts) accounts…")
        let residentBefore = ResidentMemory.bytes()
        for account in 0..<accounts {
            let line = #"{"type":"page_view","event_id":"fill-\#(account)","occurred_at":\#(start + Int64(account)),"visitor_id":"v-\#(account)-0","url":"https://leadflow.example/blog/intent-data","account_domain":"\#(SyntheticTraffic.domain(account))"}"#
            _ = engine.process(Array(line.utf8), clock: nil)
        }
        let residentAfter = ResidentMemory.bytes()
        let bytesPerAccount = Double(residentAfter - residentBefore) / Double(accounts)

        // Events of the timed run, laid out in one buffer so the loop allocates nothing for input.
        progress("generating \(events) events…")
        var buffer: [UInt8] = []
        var bounds: [Range<Int>] = []
        buffer.reserveCapacity(events * 200)
        bounds.reserveCapacity(events)
        for index in 0..<events {
            let text = traffic.event(index: index, account: traffic.random.below(accounts), at: start + Int64(accounts) + Int64(index) * 300)
            let lower = buffer.count
            buffer.append(contentsOf: text.utf8)
            bounds.append(lower..<buffer.count)
        }
        let averageBytes = Double(buffer.count) / Double(events)

        progress("timing the decoder alone…")
        let decodeStart = ContinuousClock.now
        var decodedOK = 0
        buffer.withUnsafeBufferPointer { all in
            for range in bounds {
                if case .success = EventDecoder.decode(UnsafeBufferPointer(rebasing: all[range])) { decodedOK += 1 }
            }
        }
        let decodeRate = Double(events) / (ContinuousClock.now - decodeStart).seconds

        progress("timing the engine…")
        let residentBeforeRun = ResidentMemory.bytes()
        var outputs = 0
        var outputBytes = 0
        let engineStart = ContinuousClock.now
        buffer.withUnsafeBufferPointer { all in
            // In batches of a thousand, as the daemon applies what it polls.
            var batch: [Engine.BatchInput] = []
            batch.reserveCapacity(1_000)
            for start in stride(from: 0, to: bounds.count, by: 1_000) {
                batch.removeAll(keepingCapacity: true)
                for range in bounds[start..<min(start + 1_000, bounds.count)] {
                    batch.append(Engine.BatchInput(bytes: UnsafeBufferPointer(rebasing: all[range]), clock: nil, task: 0))
                }
                engine.process(batch: batch) { _, result in
                    for output in result.outputs {
                        outputs += 1
                        outputBytes += output.json().utf8.count
                    }
                }
            }
        }
        let engineSeconds = (ContinuousClock.now - engineStart).seconds
        let engineRate = Double(events) / engineSeconds
        // The accounts now hold the timed run's history as well (the fill gave each one event):
        // what state costs once accounts have several signals and people, as they do in production.
        let grownBytesPerAccount = Double(residentAfter - residentBefore + ResidentMemory.bytes() - residentBeforeRun) / Double(accounts)
        let eventsPerAccountAfterRun = Double(accounts + events) / Double(accounts)

        // Ceiling: a byte scan that touches every byte (counts quotes) of the same events.
        let scanStart = ContinuousClock.now
        var quotes = 0
        buffer.withUnsafeBufferPointer { all in
            for range in bounds {
                for position in range where all[position] == 34 { quotes &+= 1 }
            }
        }
        let scanRate = Double(events) / (ContinuousClock.now - scanStart).seconds

        // Naive baseline: Foundation's JSONDecoder into a struct, on a sample.
        let sample = min(events, 200_000)
        let decoder = JSONDecoder()
        let decoderStart = ContinuousClock.now
        var decoded = 0
        for range in bounds.prefix(sample) {
            if (try? decoder.decode(LooseEvent.self, from: Data(buffer[range]))) != nil { decoded += 1 }
        }
        let decoderRate = Double(sample) / (ContinuousClock.now - decoderStart).seconds

        // The admin endpoint's /accounts/top: one pass over every account.
        let topStart = ContinuousClock.now
        let hottest = engine.hottestAccounts(limit: 20)
        let topMilliseconds = (ContinuousClock.now - topStart).seconds * 1_000

        print(String(format: "engine: %.0f events/s on one core (%.0f ns/event; target >= 1,500,000)", engineRate, 1e9 / engineRate))
        print(String(format: "decoder alone: %.0f events/s (%d valid)", decodeRate, decodedOK))
        print(String(format: "memory: %.0f bytes per account at %d accounts of one event each (target <= 512)", bytesPerAccount, accounts))
        print(String(format: "memory after the timed run: %.0f bytes per account (%.1f events per account)", grownBytesPerAccount, eventsPerAccountAfterRun))
        print(String(format: "byte scan (ceiling): %.0f events/s; engine/scan ratio %.3f", scanRate, engineRate / scanRate))
        print(String(format: "JSONDecoder (naive baseline, decode only): %.0f events/s; engine/JSONDecoder ratio %.2f", decoderRate, engineRate / decoderRate))
        print(String(format: "hottest 20 accounts (/accounts/top): %.0f ms over %d accounts", topMilliseconds, engine.state.accounts.count))
        print("events \(events), average \(Int(averageBytes)) bytes, outputs \(outputs), accounts in state \(engine.state.accounts.count), rejected \(engine.state.counters.rejected)")
        if json {
            let figures: [String: Any] = [
                "benchmark": "core", "events": events, "accounts": accounts, "event_bytes": averageBytes.rounded(),
                "engine_events_per_s": engineRate.rounded(), "ns_per_event": (1e9 / engineRate).rounded(),
                "bytes_per_account": bytesPerAccount.rounded(), "bytes_per_account_after_run": grownBytesPerAccount.rounded(),
                "events_per_account_after_run": (eventsPerAccountAfterRun * 10).rounded() / 10, "byte_scan_events_per_s": scanRate.rounded(),
                "engine_to_scan_ratio": (engineRate / scanRate * 1000).rounded() / 1000,
                "jsondecoder_events_per_s": decoderRate.rounded(), "engine_to_jsondecoder_ratio": (engineRate / decoderRate * 100).rounded() / 100,
                "outputs": outputs, "output_bytes": outputBytes, "top_accounts_ms": topMilliseconds.rounded(), "top_accounts_found": hottest.count, "decoder_events_per_s": decodeRate.rounded(), "checksum": quotes + decoded,
            ]
            let data = try JSONSerialization.data(withJSONObject: figures, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }
    }

    private func progress(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}

/// What a generic decoder would read from every event (for the JSONDecoder baseline).
private struct LooseEvent: Decodable {
    var type: String
    var event_id: String
    var occurred_at: Int64
    var account_domain: String?
    var url: String?
    var visitor_id: String?
    var email: String?
    var form_type: String?
    var topic: String?
    var score: Double?
}

/// The process's resident set size, from /proc/self/statm.
enum ResidentMemory {
    static func bytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    static func peakBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
        else { return 0 }
        return (Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) * 1_024
    }
}
