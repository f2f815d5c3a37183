import Foundation
import PipelineCore

/// Checks a commit's SSH signature against an allowed-signers file, as `git verify-commit` does with
/// `gpg.format=ssh`: the payload libgit2 extracts is verified by `ssh-keygen -Y verify -n git`.
package enum CommitVerifier {
    /// The principal that signed the commit, or the reason it is not acceptable.
    package static func verify(_ repository: GitRepository, sha: String, allowedSigners: String) async
        -> Result<String, VerificationFailure>
    {
        guard FileManager.default.isReadableFile(atPath: allowedSigners) else {
            return .failure(VerificationFailure("allowed-signers file \(allowedSigners) cannot be read"))
        }
        let signature: GitSignature?
        do { signature = try repository.signature(of: sha) } catch {
            return .failure(VerificationFailure("cannot read the signature: \(error)"))
        }
        guard let signature else { return .failure(VerificationFailure("the commit is not signed")) }
        guard signature.signature.contains("BEGIN SSH SIGNATURE") else {
            return .failure(
                VerificationFailure("the commit is not signed with an SSH key (only SSH signatures are verified)"))
        }
        let dir = NSTemporaryDirectory() + "pipeline-verify-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try signature.signature.write(toFile: "\(dir)/sig", atomically: true, encoding: .utf8)
        } catch {
            return .failure(VerificationFailure("cannot write a temporary file: \(error)"))
        }
        let env = ["PATH": "/usr/bin:/bin:/usr/local/bin", "LANG": "C.UTF-8"]
        guard
            let keygen = ["/usr/bin/ssh-keygen", "/bin/ssh-keygen", "/usr/local/bin/ssh-keygen"].first(where: {
                FileManager.default.isExecutableFile(atPath: $0)
            })
        else { return .failure(VerificationFailure("ssh-keygen is not installed (apt-get install openssh-client)")) }
        do {
            let found = try await ChildProcess.run(
                path: keygen, arguments: ["-Y", "find-principals", "-s", "\(dir)/sig", "-f", allowedSigners],
                environment: env, stdin: Data(), onStderrLine: { _ in })
            let principals = String(decoding: found.stdout, as: UTF8.self).split(whereSeparator: \.isNewline)
            guard found.termination == .exited(0), let principal = principals.first.map(String.init) else {
                return .failure(VerificationFailure("no key in \(allowedSigners) matches the signature"))
            }
            let checked = try await ChildProcess.run(
                path: keygen,
                arguments: ["-Y", "verify", "-f", allowedSigners, "-I", principal, "-n", "git", "-s", "\(dir)/sig"],
                environment: env, stdin: Data(signature.payload.utf8), onStderrLine: { _ in })
            guard checked.termination == .exited(0) else {
                return .failure(VerificationFailure("the signature by \(principal) does not verify (bad signature)"))
            }
            return .success(principal)
        } catch {
            return .failure(VerificationFailure("could not run ssh-keygen: \(error)"))
        }
    }
}

/// Why a commit's signature was not accepted.
package struct VerificationFailure: Error, Sendable, CustomStringConvertible {
    package var reason: String
    package init(_ reason: String) { self.reason = reason }
    package var description: String { reason }
}
