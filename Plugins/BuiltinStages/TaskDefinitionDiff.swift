import Foundation
import PipelineCore

/// The dry run's diff of the task definition a service runs against the one a commit renders: a unified
/// diff of the pretty JSON (3 lines of context, `---`/`+++` headers as ecspresso's `diff`), each hunk
/// headed by the field path it changes, containers named (`containerDefinitions[web].image`).
package enum TaskDefinitionDiff {
    /// `registered` reduced to the fields `rendered` has (ECS adds defaults and metadata).
    package static func comparable(_ registered: JSONValue, like rendered: JSONValue) -> JSONValue {
        switch (registered, rendered) {
        case (.object(let r), .object(let t)):
            var out: [String: JSONValue] = [:]
            for (key, value) in t { out[key] = r[key].map { comparable($0, like: value) } ?? .null }
            return .object(out)
        case (.array(let r), .array(let t)) where r.count == t.count:
            return .array(zip(r, t).map { comparable($0, like: $1) })
        case (.int(let i), .string(let s)) where String(i) == s: return rendered
        case (.string(let s), .int(let i)) where String(i) == s: return rendered
        default: return registered
        }
    }

    /// One line of pretty JSON and the field path it belongs to.
    struct Line: Equatable {
        var text: String
        var path: String
    }

    /// `prettyText`'s lines, each with its path.
    static func annotated(_ value: JSONValue) -> [Line] {
        var lines: [Line] = []
        func emit(_ value: JSONValue, prefix: String, indent: String, path: String, last: Bool) {
            let comma = last ? "" : ","
            let inner = indent + "  "
            switch value {
            case .object(let fields) where !fields.isEmpty:
                lines.append(Line(text: indent + prefix + "{", path: path))
                let keys = fields.keys.sorted()
                for (i, key) in keys.enumerated() {
                    emit(
                        fields[key]!, prefix: JSONValue.string(key).canonicalText() + ": ", indent: inner,
                        path: path.isEmpty ? key : "\(path).\(key)", last: i == keys.count - 1)
                }
                lines.append(Line(text: indent + "}" + comma, path: path))
            case .array(let items) where !items.isEmpty:
                lines.append(Line(text: indent + prefix + "[", path: path))
                for (i, item) in items.enumerated() {
                    let name = item["name"]?.stringValue ?? item["containerName"]?.stringValue
                    emit(
                        item, prefix: "", indent: inner, path: "\(path)[\(name ?? String(i))]",
                        last: i == items.count - 1)
                }
                lines.append(Line(text: indent + "]" + comma, path: path))
            default:
                lines.append(Line(text: indent + prefix + value.canonicalText() + comma, path: path))
            }
        }
        emit(value, prefix: "", indent: "", path: "", last: true)
        return lines
    }

    /// The unified diff of two documents; empty when they are the same.
    package static func unified(old: JSONValue, new: JSONValue, oldLabel: String, newLabel: String, context: Int = 3)
        -> String
    {
        let a = annotated(old)
        let b = annotated(new)
        guard a.map(\.text) != b.map(\.text) else { return "" }
        enum Op { case same(Int, Int), delete(Int), insert(Int) }
        var lcs = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in stride(from: a.count - 1, through: 0, by: -1) {
            for j in stride(from: b.count - 1, through: 0, by: -1) {
                lcs[i][j] = a[i].text == b[j].text ? lcs[i + 1][j + 1] + 1 : max(lcs[i + 1][j], lcs[i][j + 1])
            }
        }
        var ops: [Op] = []
        var i = 0
        var j = 0
        while i < a.count || j < b.count {
            if i < a.count, j < b.count, a[i].text == b[j].text {
                ops.append(.same(i, j))
                i += 1
                j += 1
            } else if j < b.count, i == a.count || lcs[i][j + 1] >= lcs[i + 1][j] {
                ops.append(.insert(j))
                j += 1
            } else {
                ops.append(.delete(i))
                i += 1
            }
        }
        let changed = ops.indices.filter { if case .same = ops[$0] { return false } else { return true } }
        // Hunks: runs of changes closer than 2 × context lines are one hunk.
        var hunks: [ClosedRange<Int>] = []
        for index in changed {
            let range = max(0, index - context)...min(ops.count - 1, index + context)
            if let lastHunk = hunks.last, range.lowerBound <= lastHunk.upperBound + 1 {
                hunks[hunks.count - 1] = lastHunk.lowerBound...max(lastHunk.upperBound, range.upperBound)
            } else {
                hunks.append(range)
            }
        }
        var out = ["--- \(oldLabel)", "+++ \(newLabel)"]
        for hunk in hunks {
            var body: [String] = []
            var oldStart: Int?
            var newStart: Int?
            var oldCount = 0
            var newCount = 0
            var path: String?
            for op in ops[hunk] {
                switch op {
                case .same(let x, let y):
                    oldStart = oldStart ?? x
                    newStart = newStart ?? y
                    oldCount += 1
                    newCount += 1
                    body.append("  " + b[y].text)
                case .delete(let x):
                    oldStart = oldStart ?? x
                    oldCount += 1
                    path = path ?? a[x].path
                    body.append("- " + a[x].text)
                case .insert(let y):
                    newStart = newStart ?? y
                    newCount += 1
                    path = path ?? b[y].path
                    body.append("+ " + b[y].text)
                }
            }
            let where_ = (path ?? "").isEmpty ? "" : " \(path!)"
            out.append("@@ -\((oldStart ?? 0) + 1),\(oldCount) +\((newStart ?? 0) + 1),\(newCount) @@\(where_)")
            out += body
        }
        return out.joined(separator: "\n")
    }
}
