import Testing

@testable import PipelineAWS

@Suite struct PaginationTests {
    @Test func followsTokensToTheLastPage() async throws {
        let pages = ["a": (["1", "2"], "b"), "b": (["3"], "c"), "c": (["4"], nil as String?)]
        let items: [String] = try await paginate { token in
            let page = pages[token ?? "a"]!
            return (page.0, page.1)
        }
        #expect(items == ["1", "2", "3", "4"])
    }

    @Test func anEchoedOrEmptyTokenEndsTheLoop() async throws {
        var calls = 0
        let echoed: [Int] = try await paginate { _ in
            calls += 1
            return ([calls], "same")
        }
        #expect(echoed == [1, 2])
        let empty: [Int] = try await paginate { _ in ([7], "") }
        #expect(empty == [7])
    }

    @Test func stopsOnceTheLimitIsReached() async throws {
        var next = 0
        let items: [Int] = try await paginate(limit: 5) { _ in
            next += 1
            return ([next, next], "t\(next)")
        }
        #expect(items.count == 6)
    }
}
