import Foundation

/// One entry of `notify:`: where a run's events are sent (a generic webhook, Slack, GitHub).
public struct NotifyTarget: Sendable {
    /// The kinds of destination.
    public enum Kind: String, Sendable, CaseIterable {
        /// A JSON POST signed with `X-Pipeline-Signature: sha256=HMAC` (docs/notifications.schema.json).
        case webhook
        /// A Slack incoming webhook.
        case slack
        /// GitHub commit statuses and deployments.
        case github

        /// The settings each kind takes, and which are required.
        public var keys: (required: [String], optional: [String]) {
            switch self {
            case .webhook: return (["url"], ["secret", "events"])
            case .slack: return (["url"], ["events"])
            case .github: return (["repository"], ["token", "api_url", "environment", "context", "events"])
            }
        }
    }

    /// The events a destination can receive (`events:` picks some; default all).
    public enum Event: String, Sendable, Codable, CaseIterable {
        /// A run started.
        case started
        /// A stage waits for an operator (an approval).
        case waiting
        /// A run succeeded.
        case succeeded
        /// A stage failed and `on_failure` rolled back.
        case rolledBack = "rolled_back"
        /// A run failed (and was not rolled back).
        case failed
        /// A run whose process died was finished by another engine.
        case recovered
        /// A `notify` stage's message.
        case message
    }

    /// Which destination.
    public var kind: Kind
    /// Its settings, unevaluated (`${{ env.X }}` is evaluated when the run starts).
    public var settings: [String: TemplateNode]
    /// The events it receives.
    public var events: Set<Event>
    /// Where the entry is in the file.
    public var location: SourceLocation?

    /// An entry.
    public init(
        kind: Kind, settings: [String: TemplateNode], events: Set<Event> = Set(Event.allCases),
        location: SourceLocation? = nil
    ) {
        self.kind = kind
        self.settings = settings
        self.events = events
        self.location = location
    }
}
