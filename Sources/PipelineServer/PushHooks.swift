import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// A push announced by a forge's webhook.
package struct PushHook: Sendable, Equatable {
    /// `github` or `gitlab`.
    package var source: String
    /// The pushed ref (`refs/heads/main`), when the body says.
    package var ref: String?
}

/// `/hooks/github` and `/hooks/gitlab`: push webhooks verified with one shared secret (GitHub's
/// `X-Hub-Signature-256` HMAC of the body, GitLab's `X-Gitlab-Token`). A bad or missing signature is
/// 401 and nothing happens; a body over `maxBody` is 413; a verified push calls `onPush` (the watcher
/// fetches at once) and is answered 202.
package struct PushHooks: Sendable {
    package static let maxBody = 1 << 20

    let secret: String
    let onPush: @Sendable (PushHook) -> Void
    let log: @Sendable (String) -> Void

    /// Hooks checked against `secret` (must not be empty).
    package init(
        secret: String, onPush: @escaping @Sendable (PushHook) -> Void, log: @escaping @Sendable (String) -> Void
    ) {
        self.secret = secret
        self.onPush = onPush
        self.log = log
    }

    static let githubSignature = HTTPField.Name("X-Hub-Signature-256")!
    static let githubEvent = HTTPField.Name("X-GitHub-Event")!
    static let gitlabToken = HTTPField.Name("X-Gitlab-Token")!
    static let gitlabEvent = HTTPField.Name("X-Gitlab-Event")!

    func add(to router: Router<BasicRequestContext>) {
        router.post("/hooks/github") { request, _ in try await handle(request, source: "github") }
        router.post("/hooks/gitlab") { request, _ in try await handle(request, source: "gitlab") }
    }

    func handle(_ incoming: Request, source: String) async throws -> Response {
        var request = incoming
        if let length = request.headers[.contentLength].flatMap(Int.init), length > Self.maxBody {
            log("\(source) hook refused: body of \(length) bytes is over \(Self.maxBody)")
            return Self.text(.contentTooLarge, "body over \(Self.maxBody) bytes\n")
        }
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: Self.maxBody)
        } catch is NIOTooManyBytesError {
            log("\(source) hook refused: body over \(Self.maxBody) bytes")
            return Self.text(.contentTooLarge, "body over \(Self.maxBody) bytes\n")
        }
        let bytes = Data(body.readableBytesView)
        let verified: Bool
        let event: String
        if source == "github" {
            verified = Self.githubVerified(bytes, signature: request.headers[Self.githubSignature], secret: secret)
            event = request.headers[Self.githubEvent] ?? ""
        } else {
            verified = Self.equalInConstantTime(request.headers[Self.gitlabToken] ?? "", secret)
            event = request.headers[Self.gitlabEvent] ?? ""
        }
        guard verified else {
            log("\(source) hook refused: bad or missing signature (nothing fetched)")
            return Self.text(.unauthorized, "bad or missing signature\n")
        }
        let isPush = source == "github" ? event == "push" : event == "Push Hook" || event == "Tag Push Hook"
        guard isPush else { return Self.text(.ok, "ignored: \(event.isEmpty ? "no event" : event)\n") }
        let ref = (try? JSONSerialization.jsonObject(with: bytes) as? [String: Any])?["ref"] as? String
        log("\(source) push\(ref.map { " to \($0)" } ?? ""): fetching now")
        onPush(PushHook(source: source, ref: ref))
        return Self.text(.accepted, "fetching\n")
    }

    /// GitHub's `sha256=<hex>` over the body, checked in constant time.
    static func githubVerified(_ body: Data, signature: String?, secret: String) -> Bool {
        guard let signature, signature.hasPrefix("sha256="), let mac = hexBytes(signature.dropFirst(7)) else {
            return false
        }
        return HMAC<SHA256>.isValidAuthenticationCode(
            mac, authenticating: body, using: SymmetricKey(data: Data(secret.utf8)))
    }

    static func hexBytes(_ text: Substring) -> Data? {
        guard text.count == 64 else { return nil }
        var out = Data()
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            guard let byte = UInt8(text[index..<next], radix: 16) else { return nil }
            out.append(byte)
            index = next
        }
        return out
    }

    /// Whether two secrets are equal (and not empty), in time that does not depend on where they differ:
    /// the webhook tokens here and the dashboard's token and CSRF field.
    package static func equalInConstantTime(_ a: String, _ b: String) -> Bool {
        let (x, y) = (Array(a.utf8), Array(b.utf8))
        guard x.count == y.count, !x.isEmpty else { return false }
        var difference: UInt8 = 0
        for i in x.indices { difference |= x[i] ^ y[i] }
        return difference == 0
    }

    static func text(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(
            status: status, headers: [.contentType: "text/plain; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
