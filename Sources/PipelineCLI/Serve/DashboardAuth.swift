import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import PipelineCore
import PipelineServer

/// The dashboard's write access: with `PIPELINE_SERVE_TOKEN` set, POST actions need the token (the
/// `pipeline_token` cookie set by `/login`, or `Authorization: Bearer TOKEN`) and, from a browser
/// session, the CSRF field (an HMAC of the token) and a same-origin `Origin`; without a token the
/// dashboard is read-only.
struct DashboardAuth: Sendable {
    let token: String?

    static let cookieName = "pipeline_token"

    /// The value forms carry in `csrf`.
    var csrf: String? {
        token.map { token in
            let mac = HMAC<SHA256>.authenticationCode(
                for: Data("pipeline-dashboard-csrf".utf8), using: SymmetricKey(data: Data(token.utf8)))
            return mac.map { String(format: "%02x", $0) }.joined()
        }
    }

    static func equal(_ a: String, _ b: String) -> Bool { PushHooks.equalInConstantTime(a, b) }

    static func cookie(_ request: Request, _ name: String) -> String? {
        for header in request.headers[values: .cookie] {
            for part in header.split(separator: ";") {
                let pair = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
                if pair.count == 2, pair[0] == name { return String(pair[1]) }
            }
        }
        return nil
    }

    /// Why a POST is refused (nil: allowed). `form` is the decoded body.
    func refusal(_ request: Request, form: [String: String]) -> (HTTPResponse.Status, String)? {
        guard let token, let csrf else { return (.forbidden, "read-only: the server has no PIPELINE_SERVE_TOKEN") }
        if let bearer = request.headers[.authorization], bearer.hasPrefix("Bearer ") {
            return Self.equal(String(bearer.dropFirst(7)), token) ? nil : (.unauthorized, "bad token")
        }
        guard let cookie = Self.cookie(request, Self.cookieName), Self.equal(cookie, token) else {
            return (.unauthorized, "log in with the server's token first")
        }
        guard Self.equal(form["csrf"] ?? "", csrf) else { return (.forbidden, "CSRF check failed") }
        if let origin = request.headers[.origin], let host = request.head.authority {
            let expected = ["http://\(host)", "https://\(host)"]
            guard expected.contains(origin) else { return (.forbidden, "CSRF check failed: cross-origin request") }
        }
        return nil
    }

    /// `a=1&b=2` (application/x-www-form-urlencoded).
    static func form(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0)
            }
            if let key = parts.first { out[key] = parts.count > 1 ? parts[1] : "" }
        }
        return out
    }
}

/// The approve / reject / abort / skip-bake forms of a run page.
struct ActionForms {
    let csrf: String

    func html(_ record: RunRecord) -> String {
        guard !record.status.isFinal else { return "" }
        let waiting = record.stages.contains { $0.status == .waiting }
        var kinds: [OperatorRequest.Kind] = [.abort, .skipBake]
        if waiting { kinds = [.approve, .reject] + kinds }
        var html = "<div class=\"actions\">"
        for kind in kinds {
            html += "<form method=\"post\" action=\"/runs/\(HTML.urlEncode(record.id))/actions/\(kind.rawValue)\">"
            html += "<input type=\"hidden\" name=\"csrf\" value=\"\(HTML.escape(csrf))\">"
            html += "<input name=\"actor\" placeholder=\"your name\" size=\"10\"> "
            html += "<input name=\"comment\" placeholder=\"comment\" size=\"16\"> "
            html += "<button name=\"kind\" value=\"\(kind.rawValue)\">\(kind.rawValue)</button></form> "
        }
        return html + "</div>"
    }
}
