import Foundation
import PipelineCore
import Synchronization

/// GitHub: a commit status (`context`, default `pipeline/<name>`) and a deployment to `environment`
/// per run, through the REST API at `api_url` (GitHub Enterprise: `https://HOST/api/v3`).
final class GitHubSender: Sender {
    let api: String
    let repository: String
    let token: String
    let environment: String
    let context: String
    let delivery: Delivery
    let name: String
    /// The deployment created for each run.
    private let deployments = Mutex<[String: Int]>([:])

    init(settings: [String: String], delivery: Delivery, name: String) {
        var api = settings["api_url"] ?? "https://api.github.com"
        while api.hasSuffix("/") { api.removeLast() }
        self.api = api
        self.repository = settings["repository"] ?? ""
        self.token = settings["token"] ?? ""
        self.environment = settings["environment"] ?? "production"
        self.context = settings["context"] ?? "pipeline"
        self.delivery = delivery
        self.name = name
    }

    private var headers: [(String, String)] {
        [
            ("authorization", "Bearer \(token)"), ("accept", "application/vnd.github+json"),
            ("x-github-api-version", "2022-11-28"),
        ]
    }

    private func post(_ path: String, _ body: [String: Any]) async throws -> Delivery.Response {
        let data = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])
        return try await delivery.post(url: api + path, body: data, headers: headers, name: name)
    }

    /// The commit status and deployment state for an event; nil for events GitHub is not told.
    static func states(_ event: NotifyTarget.Event) -> (commit: String, deployment: String)? {
        switch event {
        case .started: return ("pending", "in_progress")
        case .waiting: return ("pending", "in_progress")
        case .succeeded: return ("success", "success")
        case .rolledBack, .recovered: return ("failure", "failure")
        case .failed: return ("failure", "error")
        case .message: return nil
        }
    }

    func send(_ n: Notification, record: RunRecord?) async throws {
        guard let (commitState, deploymentState) = Self.states(n.event), n.commit.sha.count == 40 else { return }
        let description = String(n.message.prefix(140))
        _ = try await post(
            "/repos/\(repository)/statuses/\(n.commit.sha)",
            ["state": commitState, "context": context, "description": description])
        var id = deployments.withLock { $0[n.run.id] }
        if id == nil, n.event == .started {
            let created = try await post(
                "/repos/\(repository)/deployments",
                [
                    "ref": n.commit.sha, "environment": environment, "auto_merge": false,
                    "required_contexts": [String](), "description": "\(n.run.id) (\(n.pipeline))",
                    "payload": ["run": n.run.id, "pipeline": n.pipeline],
                ])
            id = (try? JSONSerialization.jsonObject(with: created.body) as? [String: Any])?["id"] as? Int
            if let id { deployments.withLock { $0[n.run.id] = id } }
        }
        guard let id, n.event != .waiting else { return }
        _ = try await post(
            "/repos/\(repository)/deployments/\(id)/statuses",
            ["state": deploymentState, "description": description, "environment": environment])
    }
}
