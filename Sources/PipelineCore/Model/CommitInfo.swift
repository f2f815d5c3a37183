import Foundation

/// The commit a run deploys.
public struct CommitInfo: Sendable, Hashable, Codable {
    /// The full sha.
    public var sha: String
    /// The branch the commit was taken from, when known.
    public var branch: String?
    /// The whole commit message.
    public var message: String
    /// `Name <email>` of the author.
    public var author: String
    /// When the commit was authored, when known.
    public var date: Date?

    /// A commit.
    public init(sha: String, branch: String?, message: String, author: String, date: Date? = nil) {
        self.sha = sha
        self.branch = branch
        self.message = message
        self.author = author
        self.date = date
    }

    /// The first 7 characters of the sha.
    public var shortSHA: String { String(sha.prefix(7)) }

    /// A commit for runs of files that are not in git.
    public static let workingTree = CommitInfo(sha: "0000000", branch: nil, message: "", author: "")

    enum CodingKeys: String, CodingKey {
        case sha, branch, message, author, date
    }
}
