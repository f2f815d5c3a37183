/// The limits the engine puts on what it reads from a commit, checked before anything is parsed or
/// changed; each is an error with exit 2 naming the file. (docs/security.md lists them.)
public enum InputLimits {
    /// A pipeline file.
    public static let pipelineFileBytes = 1 << 20
    /// A task definition template.
    public static let templateBytes = 1 << 20
    /// A rendered task definition (ECS refuses task definitions over 64 KiB).
    public static let taskDefinitionBytes = 64 << 10
    /// Containers in one task definition (ECS's limit).
    public static let containersPerTaskDefinition = 10
    /// Nodes in one YAML or JSON document.
    public static let documentNodes = 100_000
    /// Nesting depth of one document.
    public static let documentDepth = 64
}

/// Finds YAML anchors (`&name`) and aliases (`*name`) without parsing: the parser would expand
/// aliases, so a small file of nested aliases ("billion laughs") could exhaust memory before any
/// check ran. Returns the line and column of the first one, or nil.
enum AnchorScanner {
    static func firstAnchorOrAlias(in text: String) -> (line: Int, column: Int, alias: Bool)? {
        var blockIndent: Int?  // inside a literal/folded block scalar: its parent's indentation
        for (offset, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = Array(rawLine.utf8)
            let indent = line.prefix { $0 == UInt8(ascii: " ") }.count
            if let parent = blockIndent {
                if indent > parent || line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") }) {
                    continue
                }
                blockIndent = nil
            }
            var atNodeStart = true
            var quote: UInt8?
            var flow = 0
            var i = 0
            var last: UInt8 = UInt8(ascii: " ")
            while i < line.count {
                let c = line[i]
                if let q = quote {
                    if c == q {
                        if q == UInt8(ascii: "'"), i + 1 < line.count, line[i + 1] == q {
                            i += 2
                            continue
                        }
                        quote = nil
                    } else if c == UInt8(ascii: "\\"), q == UInt8(ascii: "\"") {
                        i += 1
                    }
                    i += 1
                    last = c
                    continue
                }
                switch c {
                case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                    break
                case UInt8(ascii: "#") where last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") || i == 0:
                    i = line.count
                    continue
                case UInt8(ascii: "&"), UInt8(ascii: "*"):
                    if atNodeStart { return (offset + 1, i + 1, c == UInt8(ascii: "*")) }
                case UInt8(ascii: "\""), UInt8(ascii: "'"):
                    if atNodeStart { quote = c }
                    atNodeStart = false
                case UInt8(ascii: "["), UInt8(ascii: "{"):
                    if atNodeStart { flow += 1 }
                case UInt8(ascii: "]"), UInt8(ascii: "}"):
                    if flow > 0 { flow -= 1 }
                case UInt8(ascii: ","):
                    if flow > 0 {
                        atNodeStart = true
                        last = c
                        i += 1
                        continue
                    }
                case UInt8(ascii: "-"), UInt8(ascii: "?"):
                    let next = i + 1 < line.count ? line[i + 1] : UInt8(ascii: " ")
                    if atNodeStart && (next == UInt8(ascii: " ") || i + 1 == line.count) {
                        last = c
                        i += 1
                        continue
                    }
                    atNodeStart = false
                case UInt8(ascii: ":"):
                    let next = i + 1 < line.count ? line[i + 1] : UInt8(ascii: " ")
                    if next == UInt8(ascii: " ") || next == UInt8(ascii: "\r") || i + 1 == line.count || flow > 0 {
                        atNodeStart = true
                        last = c
                        i += 1
                        continue
                    }
                    atNodeStart = false
                case UInt8(ascii: "|"), UInt8(ascii: ">"):
                    if atNodeStart && flow == 0 {
                        blockIndent = indent
                        i = line.count
                        continue
                    }
                    atNodeStart = false
                case UInt8(ascii: "!"):
                    // A tag: skip it, the node starts after it.
                    while i < line.count, line[i] != UInt8(ascii: " ") { i += 1 }
                    last = UInt8(ascii: " ")
                    continue
                default:
                    atNodeStart = false
                }
                last = c
                i += 1
            }
        }
        return nil
    }
}
