import Foundation

/// An expression inside `${{ }}`: a dotted name, a quoted string, or `a || b` (the first that is set and non-empty).
public indirect enum Expression: Sendable, Hashable, CustomStringConvertible {
    /// A dotted name such as `commit.sha` or `stages.build.outputs.family`.
    case path([String])
    /// A literal string written in single quotes.
    case literal(String)
    /// A literal number.
    case number(Double)
    /// A literal boolean.
    case bool(Bool)
    /// The left value unless it is unset or empty, else the right one.
    case or(Expression, Expression)

    /// The expression as written.
    public var description: String {
        switch self {
        case .path(let parts): return parts.joined(separator: ".")
        case .literal(let s): return "'\(s.replacingOccurrences(of: "'", with: "''"))'"
        case .number(let n): return OutputValue.number(n).description
        case .bool(let b): return b ? "true" : "false"
        case .or(let l, let r): return "\(l) || \(r)"
        }
    }

    /// Every dotted name the expression reads.
    public var paths: [[String]] {
        switch self {
        case .path(let p): return [p]
        case .literal, .number, .bool: return []
        case .or(let l, let r): return l.paths + r.paths
        }
    }
}

/// Why an expression could not be parsed; `offset` counts characters into the expression text.
public struct ExpressionSyntaxError: Error, Sendable, Hashable {
    /// What is wrong.
    public var message: String
    /// Character offset into the text.
    public var offset: Int
}

/// Parses the text between `${{` and `}}`.
public struct ExpressionParser {
    private let chars: [Character]
    private var index = 0

    /// Parses an expression; throws `ExpressionSyntaxError` with the offset of the problem.
    public static func parse(_ text: String) throws(ExpressionSyntaxError) -> Expression {
        var parser = ExpressionParser(chars: Array(text))
        parser.skipSpaces()
        guard !parser.atEnd else { throw ExpressionSyntaxError(message: "empty expression", offset: 0) }
        let expression = try parser.parseOr()
        parser.skipSpaces()
        if !parser.atEnd {
            throw ExpressionSyntaxError(
                message: "unexpected '\(parser.chars[parser.index])'", offset: parser.index)
        }
        return expression
    }

    private init(chars: [Character]) { self.chars = chars }

    private var atEnd: Bool { index >= chars.count }

    private mutating func skipSpaces() {
        while !atEnd, chars[index].isWhitespace { index += 1 }
    }

    private mutating func parseOr() throws(ExpressionSyntaxError) -> Expression {
        var left = try parsePrimary()
        while true {
            skipSpaces()
            guard index + 1 < chars.count, chars[index] == "|", chars[index + 1] == "|" else { return left }
            index += 2
            skipSpaces()
            let right = try parsePrimary()
            left = .or(left, right)
        }
    }

    private mutating func parsePrimary() throws(ExpressionSyntaxError) -> Expression {
        skipSpaces()
        guard !atEnd else { throw ExpressionSyntaxError(message: "expected a name or a quoted string", offset: index) }
        let c = chars[index]
        if c == "'" { return .literal(try parseString()) }
        if c.isNumber || c == "-" { return try parseNumber() }
        if Self.isNameCharacter(c) { return try parsePath() }
        throw ExpressionSyntaxError(message: "unexpected '\(c)'", offset: index)
    }

    private mutating func parseString() throws(ExpressionSyntaxError) -> String {
        let start = index
        index += 1
        var value = ""
        while !atEnd {
            if chars[index] == "'" {
                if index + 1 < chars.count, chars[index + 1] == "'" {
                    value.append("'")
                    index += 2
                    continue
                }
                index += 1
                return value
            }
            value.append(chars[index])
            index += 1
        }
        throw ExpressionSyntaxError(message: "unterminated string", offset: start)
    }

    private mutating func parseNumber() throws(ExpressionSyntaxError) -> Expression {
        let start = index
        index += 1
        while !atEnd, chars[index].isNumber || chars[index] == "." { index += 1 }
        guard let n = Double(String(chars[start..<index])) else {
            throw ExpressionSyntaxError(message: "bad number", offset: start)
        }
        return .number(n)
    }

    private mutating func parsePath() throws(ExpressionSyntaxError) -> Expression {
        var parts: [String] = []
        while true {
            let start = index
            while !atEnd, Self.isNameCharacter(chars[index]) { index += 1 }
            guard start < index else {
                throw ExpressionSyntaxError(message: "expected a name after '.'", offset: index)
            }
            parts.append(String(chars[start..<index]))
            guard !atEnd, chars[index] == "." else { break }
            index += 1
        }
        if parts.count == 1, parts[0] == "true" || parts[0] == "false" { return .bool(parts[0] == "true") }
        return .path(parts)
    }

    private static func isNameCharacter(_ c: Character) -> Bool {
        c.isASCII && (c.isLetter || c.isNumber || c == "_" || c == "-")
    }
}
