import Foundation

/// A string that may hold `${{ expression }}` parts, parsed once.
public struct Template: Sendable, Hashable {
    /// One piece of a template.
    public enum Part: Sendable, Hashable {
        case text(String)
        case expression(Expression, offset: Int)
    }

    /// The pieces in order.
    public var parts: [Part]
    /// The text as written.
    public var raw: String

    /// Parses `text`; throws with the character offset of the problem.
    public init(parsing text: String) throws(ExpressionSyntaxError) {
        raw = text
        parts = []
        var rest = Substring(text)
        var offset = 0
        while let open = rest.range(of: "${{") {
            let before = rest[..<open.lowerBound]
            if !before.isEmpty { parts.append(.text(String(before))) }
            offset += before.count
            let inner = rest[open.upperBound...]
            guard let close = inner.range(of: "}}") else {
                throw ExpressionSyntaxError(message: "'${{' without a closing '}}'", offset: offset)
            }
            let body = String(inner[..<close.lowerBound])
            do {
                let expression = try ExpressionParser.parse(body)
                parts.append(.expression(expression, offset: offset))
            } catch {
                throw ExpressionSyntaxError(message: error.message, offset: offset + 3 + error.offset)
            }
            offset += 3 + body.count + 2
            rest = inner[close.upperBound...]
        }
        if !rest.isEmpty { parts.append(.text(String(rest))) }
    }

    /// A template of plain text: `${{` in it is not parsed.
    public init(literal: String) {
        raw = literal
        parts = literal.isEmpty ? [] : [.text(literal)]
    }

    /// True when the template holds at least one expression.
    public var hasExpressions: Bool {
        parts.contains { if case .expression = $0 { return true } else { return false } }
    }

    /// Every expression in the template with its character offset.
    public var expressions: [(Expression, Int)] {
        parts.compactMap { if case .expression(let e, let o) = $0 { return (e, o) } else { return nil } }
    }

    /// Evaluates the template. A template that is exactly one expression keeps the value's type.
    public func evaluate(in scope: ExpressionScope) throws(ExpressionError) -> InputValue {
        if parts.count == 1, case .expression(let e, _) = parts[0] {
            return try scope.evaluate(e)
        }
        var result = ""
        for part in parts {
            switch part {
            case .text(let t): result += t
            case .expression(let e, _):
                let value = try scope.evaluate(e)
                result += value.scalarString ?? ""
            }
        }
        return .string(result)
    }
}
