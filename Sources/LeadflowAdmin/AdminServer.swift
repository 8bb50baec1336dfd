import FlyingFox
import FlyingSocks
import Foundation

/// What the admin endpoint asks the running job. The endpoint knows HTTP; the job knows answers.
public protocol AdminSource: Sendable {
    /// Whether the job should receive traffic, with a JSON body saying why (not).
    func readiness() -> (ready: Bool, json: String)
    /// Prometheus text exposition format.
    func metricsText() -> String
    /// An account's scores, band, surges and top signals as JSON, by account id or domain; nil
    /// when no state is held for it.
    func accountJSON(idOrDomain: String) -> String?
    /// The hottest accounts by composite score, as a JSON array.
    func topAccountsJSON(limit: Int) -> String
}

/// The admin HTTP endpoint: `/healthz`, `/readyz`, `/metrics`, `/accounts/{id-or-domain}`,
/// `/accounts/top?n=20`. Bound to 127.0.0.1 by default. With a token, everything but the two
/// probes needs `Authorization: Bearer <token>` (probes carry no secrets and kubelets send no
/// headers by default; metrics and accounts reveal pipeline data).
public final class AdminServer: Sendable {
    private let server: HTTPServer

    public init(host: String, port: UInt16, token: String?, source: any AdminSource) throws {
        let handler = ClosureHTTPHandler { request in AdminServer.respond(to: request, token: token, source: source) }
        server = HTTPServer(address: try .inet(ip4: host, port: port), timeout: 15, logger: .disabled, handler: handler)
    }

    /// Starts listening and returns the port (useful with port 0). The server runs until `stop`.
    public func start() async throws -> UInt16 {
        let server = self.server
        Task { try? await server.run() }
        try await server.waitUntilListening(timeout: 5)
        guard case .ip4(_, let port)? = await server.listeningAddress else { return 0 }
        return port
    }

    public func stop() async { await server.stop(timeout: 1) }

    /// Routes one request (no I/O: the tests call it directly as well as over TCP).
    public static func respond(to request: HTTPRequest, token: String?, source: any AdminSource) -> HTTPResponse {
        guard request.method == .GET || request.method == .HEAD else {
            return text(.methodNotAllowed, "only GET and HEAD are served\n")
        }
        let path = request.path.hasSuffix("/") && request.path.count > 1 ? String(request.path.dropLast()) : request.path
        switch path {
        case "/healthz":
            return text(.ok, "ok\n")
        case "/readyz":
            let readiness = source.readiness()
            return json(readiness.ready ? .ok : .serviceUnavailable, readiness.json)
        default:
            break
        }
        if let token, request.headers[.authorization] != "Bearer \(token)" {
            var response = text(.unauthorized, "a bearer token is required (Authorization: Bearer <admin.token>)\n")
            response.headers[HTTPHeader("WWW-Authenticate")] = "Bearer"
            return response
        }
        if path == "/metrics" {
            return HTTPResponse(
                statusCode: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"], body: Data(source.metricsText().utf8))
        }
        if path == "/accounts/top" {
            let requested = request.query.first { $0.name == "n" }?.value ?? "20"
            guard let limit = Int(requested), (1...1_000).contains(limit) else {
                return json(.badRequest, #"{"error":"n must be a whole number from 1 to 1000"}"#)
            }
            return json(.ok, source.topAccountsJSON(limit: limit))
        }
        if path.hasPrefix("/accounts/") {
            let key = String(path.dropFirst("/accounts/".count)).removingPercentEncoding ?? ""
            guard !key.isEmpty, let body = source.accountJSON(idOrDomain: key) else {
                return json(.notFound, #"{"error":"no state is held for this account id or domain"}"#)
            }
            return json(.ok, body)
        }
        return text(.notFound, "not found; endpoints: /healthz /readyz /metrics /accounts/{id-or-domain} /accounts/top?n=20\n")
    }

    private static func text(_ status: HTTPStatusCode, _ body: String) -> HTTPResponse {
        HTTPResponse(statusCode: status, headers: [.contentType: "text/plain; charset=utf-8"], body: Data(body.utf8))
    }

    private static func json(_ status: HTTPStatusCode, _ body: String) -> HTTPResponse {
        HTTPResponse(statusCode: status, headers: [.contentType: "application/json"], body: Data((body + "\n").utf8))
    }
}
