import Crypto
import Foundation
import PipelineCore

/// Sends notifications to one destination.
protocol Sender: Sendable {
    /// Where it goes, for messages (no path, no secret).
    var name: String { get }
    /// Delivers one notification (retrying as `Delivery` does); throws when it could not.
    func send(_ notification: Notification, record: RunRecord?) async throws
}

/// The generic webhook: the notification as JSON, signed `X-Pipeline-Signature: sha256=<hex HMAC-SHA256>`
/// of the body with the secret, when one is set.
struct WebhookSender: Sender {
    let url: String
    let secret: String?
    let delivery: Delivery
    let name: String

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Timestamp.precise(date))
        }
        return encoder
    }()

    /// `sha256=<hex>` of `body` under `secret`.
    static func signature(_ body: Data, secret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))
        return "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
    }

    func send(_ notification: Notification, record: RunRecord?) async throws {
        let body = try Self.encoder.encode(notification)
        var headers = [("x-pipeline-event", notification.event.rawValue), ("x-pipeline-delivery", notification.id)]
        if let secret { headers.append(("x-pipeline-signature", Self.signature(body, secret: secret))) }
        _ = try await delivery.post(url: url, body: body, headers: headers, name: name)
    }
}

/// A Slack incoming webhook: `{"text": …}`.
struct SlackSender: Sender {
    let url: String
    let delivery: Delivery
    let name: String

    static func text(_ n: Notification) -> String {
        let icon: String
        switch n.event {
        case .started: icon = ":rocket:"
        case .waiting: icon = ":raised_hand:"
        case .succeeded: icon = ":white_check_mark:"
        case .rolledBack: icon = ":leftwards_arrow_with_hook:"
        case .failed: icon = ":x:"
        case .recovered: icon = ":ambulance:"
        case .message: icon = ":speech_balloon:"
        }
        let commit =
            "`\(n.commit.sha.prefix(7))`\(n.commit.message.map { " \($0.split(separator: "\n").first ?? "")" } ?? "")"
        return "\(icon) *\(n.pipeline)* \(Self.escape(n.message))\n\(Self.escape(commit)) on \(Self.escape(n.target))"
    }

    /// Slack's mrkdwn escapes: `&`, `<`, `>`.
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }

    func send(_ notification: Notification, record: RunRecord?) async throws {
        let body = try JSONSerialization.data(withJSONObject: ["text": Self.text(notification)], options: [.sortedKeys])
        _ = try await delivery.post(url: url, body: body, headers: [], name: name)
    }
}
