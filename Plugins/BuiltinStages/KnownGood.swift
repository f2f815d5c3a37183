import Foundation
import PipelineCore

/// The known-good revision as the platform itself records it: promote (and a rollback that returned
/// a service) tags the revision with `KnownGoodTags`; a rollback with no run history reads them back.
enum KnownGood {
    /// How many of a family's newest revisions a rollback looks at for the tags.
    static let scan = 50

    /// Tags `revision` as promoted by this run now. A failure is logged, not thrown: the deployment
    /// itself succeeded, and history still names the revision.
    static func mark(_ revision: String, context: StageContext) async {
        guard !context.isDryRun, let target = try? context.deploymentTarget() else { return }
        let tags = [
            KnownGoodTags.promotedAt: Timestamp.precise(Date()), KnownGoodTags.run: context.run.id,
            KnownGoodTags.commit: context.commit.sha,
        ]
        do {
            try await context.tolerant(revision) { try await target.tagTaskDefinition(revision, tags: tags) }
            context.logger.info("tagged \(revision) as promoted (\(KnownGoodTags.promotedAt))")
        } catch {
            context.logger.warning("could not tag \(revision) as promoted: \(error)")
        }
    }

    /// Tags the revision a rollback took the service off: its promotion (if any) no longer counts.
    static func markRolledBack(_ revision: String, context: StageContext) async {
        guard !context.isDryRun, !revision.isEmpty, let target = try? context.deploymentTarget() else { return }
        do {
            try await context.tolerant(revision) {
                try await target.tagTaskDefinition(
                    revision, tags: [KnownGoodTags.rolledBackAt: Timestamp.precise(Date())])
            }
        } catch {
            context.logger.warning("could not tag \(revision) as rolled back: \(error)")
        }
    }

    /// The revision of `family` most recently tagged as promoted, leaving out what this run deployed
    /// (its registered revisions, and any this run tagged: run ids of separate state folders may repeat,
    /// so the commit must match too).
    static func lastPromoted(family: String, context: StageContext) async throws -> TaggedRevision? {
        let target = try context.deploymentTarget()
        let tagged = try await context.tolerant(family) {
            try await target.taggedTaskDefinitions(family: family, tag: KnownGoodTags.promotedAt, scan: scan)
        }
        let ours = Set(context.recordedStrings(RegisterTaskDefinitionStage.Outputs.taskDefinitionARN))
        return tagged.filter { revision in
            // A promotion a rollback undid later does not count.
            let promoted = revision.tags[KnownGoodTags.promotedAt] ?? ""
            if let undone = revision.tags[KnownGoodTags.rolledBackAt], undone >= promoted { return false }
            return !ours.contains(revision.arn)
                && !(revision.tags[KnownGoodTags.run] == context.run.id
                    && revision.tags[KnownGoodTags.commit] == context.commit.sha)
        }.max { a, b in
            let (ta, tb) = (a.tags[KnownGoodTags.promotedAt] ?? "", b.tags[KnownGoodTags.promotedAt] ?? "")
            return ta == tb ? a.revision < b.revision : ta < tb
        }
    }
}
