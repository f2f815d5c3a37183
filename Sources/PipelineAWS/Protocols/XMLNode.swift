import Foundation
import PipelineCore

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// A small XML tree for the query and rest-xml protocols' responses.
final class XMLNode: @unchecked Sendable {
    // @unchecked: built once by the parser, never mutated afterwards.
    let name: String
    var text: String = ""
    var children: [XMLNode] = []

    init(name: String) { self.name = name }

    /// Parses a document; nil when it is not XML.
    static func parse(_ data: Data) -> XMLNode? {
        guard let first = data.first(where: { !($0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09) }), first == 0x3C
        else { return nil }
        let builder = Builder()
        let parser = XMLParser(data: data)
        parser.delegate = builder
        guard parser.parse(), let root = builder.root else { return nil }
        return root
    }

    /// The first descendant (depth first) with this name.
    func first(_ name: String) -> XMLNode? {
        for child in children {
            if child.name == name { return child }
            if let found = child.first(name) { return found }
        }
        return nil
    }

    /// The direct child with this name.
    func child(_ name: String) -> XMLNode? { children.first { $0.name == name } }

    /// The text of a direct child.
    func value(_ name: String) -> String? { child(name)?.text }

    /// The `member` (or other) items of a list child: `<Name><member>..</member></Name>`.
    func list(_ name: String, item: String = "member") -> [XMLNode] {
        child(name)?.children.filter { $0.name == item } ?? []
    }

    private final class Builder: NSObject, XMLParserDelegate {
        var root: XMLNode?
        var stack: [XMLNode] = []

        func parser(
            _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
            attributes: [String: String] = [:]
        ) {
            let node = XMLNode(name: elementName)
            if let parent = stack.last { parent.children.append(node) } else { root = node }
            stack.append(node)
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            stack.last?.text += string
        }

        func parser(
            _ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?
        ) {
            if let node = stack.popLast(), !node.children.isEmpty {
                node.text = node.text.trimmingCharacters(in: .whitespacesAndNewlines)
            }
        }
    }
}

/// Escapes text for an XML body.
func xmlEscape(_ text: String) -> String { Markup.escape(text) }
