/// Glob matching for branch and path filters: `*` matches within one path segment, `**` across
/// segments, `?` one character.
package enum Glob {
    /// Whether `text` matches `pattern`.
    package static func matches(_ pattern: String, _ text: String) -> Bool {
        match(Array(pattern), 0, Array(text), 0)
    }

    private static func match(_ p: [Character], _ pi: Int, _ t: [Character], _ ti: Int) -> Bool {
        var pi = pi
        var ti = ti
        while pi < p.count {
            let c = p[pi]
            if c == "*" {
                let doubleStar = pi + 1 < p.count && p[pi + 1] == "*"
                var next = pi + (doubleStar ? 2 : 1)
                // `**/` also matches nothing at all.
                if doubleStar, next < p.count, p[next] == "/" {
                    if match(p, next + 1, t, ti) { return true }
                    next += 0
                }
                var k = ti
                while true {
                    if match(p, next, t, k) { return true }
                    guard k < t.count, doubleStar || t[k] != "/" else { return false }
                    k += 1
                }
            }
            guard ti < t.count else { return false }
            if c != "?" && c != t[ti] { return false }
            if c == "?" && t[ti] == "/" { return false }
            pi += 1
            ti += 1
        }
        return ti == t.count
    }
}
