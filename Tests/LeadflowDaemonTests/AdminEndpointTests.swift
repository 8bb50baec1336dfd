import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import LeadflowConfig
import LeadflowDaemon
import LeadflowEngine
import LeadflowKafka
import Testing

/// A GET over TCP: status and body.
func httpGet(_ url: String, token: String? = nil) async throws -> (status: Int, body: String) {
    var request = URLRequest(url: URL(string: url)!)
    request.timeoutInterval = 10
    if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
    let (data, response) = try await URLSession.shared.data(for: request)
    return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
}

@Suite("Admin endpoint of a running daemon", .serialized, .timeLimit(.minutes(3)))
struct AdminEndpointTests {
    /// The value of one Prometheus sample line (`name{labels} value`), if present.
    static func sample(_ metrics: String, _ series: String) -> Double? {
        metrics.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ").last!) }
    }

    /// Starts a daemon and waits for its admin endpoint; returns it, its run and the endpoint's base URL.
    static func start(_ configuration: LeadflowConfiguration, _ harness: DaemonHarness) async throws -> (Daemon, Task<Void, any Error>, String) {
        let daemon = try Daemon(options: Daemon.Options(configuration: configuration, directory: try harness.directory(configuration)), logger: harness.logger)
        let running = Task { try await daemon.run() }
        var port: UInt16?
        for _ in 0..<200 where port == nil {
            port = daemon.adminPort
            try await Task.sleep(for: .milliseconds(20))
        }
        return (daemon, running, "http://127.0.0.1:\(try #require(port))")
    }

    /// Lag counts from what the daemon has applied: records fetched ahead and buffered are not
    /// done. A lag taken from the consumer's fetch position, or no lag known yet right after an
    /// assignment, would report ready with most of a backlog still to apply.
    @Test("/readyz is never ready while more than ready_max_lag records wait to be applied")
    func notReadyUnderBacklog() async throws {
        let harness = try DaemonHarness()
        var configuration = try harness.configuration(name: "backlog", snapshotEvery: 1_000_000)
        configuration.admin.readyMaxLag = 500
        let start = 1_790_000_000_000
        let lines = (0..<20_000).map { index in
            #"{"type":"page_view","event_id":"bl-\#(index)","occurred_at":\#(start + index * 1_000),"visitor_id":"v-\#(index % 900)","url":"https://leadflow.example/pricing","account_domain":"backlog\#(index % 700).example"}"#
        }
        try harness.produceWithKcat(lines)
        let (daemon, running, base) = try await Self.start(configuration, harness)
        var notReadySeen = 0
        var readyEarly: [Int] = []
        let deadline = ContinuousClock.now + .seconds(90)
        while ContinuousClock.now < deadline {
            let ready = try await httpGet(base + "/readyz")
            // Read after the answer: only more can have been applied by now.
            let applied = daemon.eventsApplied
            if ready.status == 200 {
                if applied < lines.count - 500 { readyEarly.append(applied) }
                if applied == lines.count { break }
            } else {
                notReadySeen += 1
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(readyEarly.isEmpty, "ready with only \(readyEarly.first ?? 0) of \(lines.count) records applied")
        #expect(notReadySeen > 0)
        #expect(daemon.eventsApplied == lines.count)
        daemon.requestStop()
        try await running.value
    }

    @Test("/healthz, /readyz, /metrics and /accounts reflect a run; the token guards data, not probes")
    func reflectsRun() async throws {
        let harness = try DaemonHarness()
        var configuration = try harness.configuration(name: "admin")
        configuration.admin.token = "s3cret-token"
        let lines = try DaemonEndToEndTests.scenarioLines()
        try harness.produceWithKcat(lines)
        let (daemon, running, base) = try await Self.start(configuration, harness)
        #expect(try await httpGet(base + "/healthz").status == 200)

        // Ready once partitions are assigned and caught up; until then 503 with the reason.
        var ready = (status: 0, body: "")
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            ready = try await httpGet(base + "/readyz")
            if ready.status == 200 && daemon.counters.eventsIn == lines.count { break }
            #expect(ready.status == 200 || ready.body.contains("\"ready\":false"))
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(ready.status == 200)
        #expect(ready.body.contains("\"ready\":true"))
        #expect(daemon.counters.eventsIn == lines.count)

        // Metrics are exported once a second: wait for the run's totals to show.
        #expect(try await httpGet(base + "/metrics").status == 401)
        let counters = daemon.counters
        var metrics = ""
        for _ in 0..<50 {
            metrics = try await httpGet(base + "/metrics", token: "s3cret-token").body
            if Self.sample(metrics, #"leadflow_outputs_total{kind="routing_decision"}"#) == Double(counters.routingDecisions) { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(Self.sample(metrics, #"leadflow_outputs_total{kind="routing_decision"}"#) == Double(counters.routingDecisions))
        #expect(Self.sample(metrics, #"leadflow_outputs_total{kind="dead_letter"}"#) == Double(counters.deadLetters))
        let eventsIn = counters.eventsByInput.reduce(0) { $0 + $1.value }
        #expect(eventsIn == lines.count)
        let exportedEvents = counters.eventsByInput.keys.compactMap { Self.sample(metrics, "leadflow_events_in_total{topic=\"\($0.topic)\",type=\"\($0.type)\"}") }
        #expect(exportedEvents.reduce(0, +) == Double(lines.count))
        #expect((Self.sample(metrics, #"leadflow_events_in_total{topic="page-views",type="page_view"}"#) ?? 0) > 0)
        for (reason, count) in counters.rejectionsByReason {
            #expect(Self.sample(metrics, "leadflow_rejections_total{reason=\"\(reason)\"}") == Double(count))
        }
        #expect(Self.sample(metrics, "leadflow_accounts") == Double(daemon.stateSummary.accounts))
        #expect(Self.sample(metrics, "leadflow_processing_latency_seconds_count") == Double(lines.count))
        // Buckets in seconds: every record here took well under the last bound, none under zero.
        #expect(Self.sample(metrics, #"leadflow_processing_latency_seconds_bucket{le="300.0"}"#) == Double(lines.count))
        #expect((Self.sample(metrics, "leadflow_processing_latency_seconds_sum") ?? -1) > 0)
        #expect(metrics.contains("leadflow_consumer_lag{"))
        #expect(metrics.contains("leadflow_producer_queue_depth"))

        // Accounts by domain or id, explained; the hottest first.
        #expect(try await httpGet(base + "/accounts/northwind.example").status == 401)
        let north = try await httpGet(base + "/accounts/northwind.example", token: "s3cret-token")
        #expect(north.status == 200)
        #expect(north.body.contains(#""account_id":"acc-north""#))
        #expect(north.body.contains(#""top_signals":[{"signal":"#))
        #expect(try await httpGet(base + "/accounts/acc-north", token: "s3cret-token").body == north.body)
        #expect(try await httpGet(base + "/accounts/nobody.example", token: "s3cret-token").status == 404)
        let top = try await httpGet(base + "/accounts/top?n=2", token: "s3cret-token")
        #expect(top.status == 200)
        #expect(top.body.components(separatedBy: "\"account_id\"").count == 3)
        #expect(try await httpGet(base + "/accounts/top?n=0", token: "s3cret-token").status == 400)

        daemon.requestStop()
        try await running.value
    }
}
