import Foundation
import PipelineCLI
import PipelineKit

/// `webhook`: POSTs a JSON message about the run to a URL (a chat webhook, a deploy log).
struct WebhookStage: Stage {
    static let descriptor = StageDescriptor(
        name: "webhook",
        summary: "POSTs a JSON message about the run to a URL.",
        inputs: Inputs.self,
        outputs: [statusCode])

    /// What `webhook` takes under `with:`: each input declared once, with its type, default and help.
    struct Inputs: InputDeclarations {
        let url = Input<String>(
            required: "url", help: "where to POST",
            check: InputCheck("an absolute URL") { URL(string: $0)?.scheme == nil ? "must be an absolute URL" : nil })
        let message = Input<String?>(
            "message", help: "the text", defaultText: "'<pipeline> <run> deployed <sha>'")
    }

    /// The HTTP status the receiver answered.
    static let statusCode: OutputKey = "status_code"

    init() {}

    func run(_ context: StageContext) async throws -> StageOutputs {
        let inputs = try context.inputs(Inputs.self)
        let url = inputs.url
        let text = inputs.message ?? "\(context.run.pipeline) \(context.run.id) deployed \(context.commit.shortSHA)"
        let body: [String: String] = ["text": text, "run": context.run.id, "commit": context.commit.sha]
        if context.isDryRun {
            context.logger.info("would POST to \(url): \(text)")
            return StageOutputs([Self.statusCode: 0])
        }
        context.logger.info("POST \(url)")
        let status = try await Self.post(url: url, body: try JSONEncoder().encode(body))
        guard (200..<300).contains(status) else { throw StageFailure("webhook answered HTTP \(status)") }
        return StageOutputs([Self.statusCode: .number(Double(status))])
    }

    /// A tiny HTTP/1.1 POST over a plain socket (no HTTP library needed for an example), off the
    /// cooperative thread pool because socket calls block.
    static func post(url: String, body: Data) async throws -> Int {
        guard let u = URL(string: url), u.scheme == "http", let host = u.host else {
            throw StageFailure("this example posts to http:// URLs only, got \(url)")
        }
        let port = u.port ?? 80
        let path = u.path.isEmpty ? "/" : u.path
        var request = "POST \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nContent-Type: application/json\r\n"
        request += "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        let payload = Data(request.utf8) + body
        return try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try rawPost(host: host, port: port, payload: payload) })
            }
        }
    }

    static func rawPost(host: String, port: Int, payload: Data) throws -> Int {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var info: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &info) == 0, let first = info else {
            throw StageFailure("cannot resolve \(host)")
        }
        defer { freeaddrinfo(info) }
        let fd = socket(first.pointee.ai_family, first.pointee.ai_socktype, first.pointee.ai_protocol)
        guard fd >= 0, connect(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0 else {
            throw StageFailure("cannot connect to \(host):\(port)")
        }
        defer { close(fd) }
        _ = payload.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = recv(fd, &buffer, buffer.count, 0)
        let head = String(decoding: buffer.prefix(max(n, 0)), as: UTF8.self)
        guard let code = head.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else {
            throw StageFailure("no HTTP answer from \(host):\(port)")
        }
        return code
    }
}

@main
struct WebhookPipeline {
    static func main() async {
        await PipelineCommand.main(stages: [WebhookStage.self])
    }
}
