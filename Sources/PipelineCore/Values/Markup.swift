/// Escaping for text placed in XML or HTML (an element's text or a quoted attribute): `&`, `<`, `>`,
/// `"` and `'` (as `&#39;`, which both read).
package enum Markup {
    /// `text` with the five markup characters escaped.
    package static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
