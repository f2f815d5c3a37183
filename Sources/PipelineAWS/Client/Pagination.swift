/// Every page of an AWS list call: one loop for the services' `NextToken` / `nextToken` / `Marker`
/// conventions. Stops on an empty or repeated token (an endpoint that echoes its token would loop
/// forever), after `limit` items, or after 1,000 pages.
func paginate<Item>(
    limit: Int = .max, _ page: (_ token: String?) async throws -> (items: [Item], next: String?)
) async throws -> [Item] {
    var items: [Item] = []
    var token: String?
    var seen: Set<String> = []
    for _ in 0..<1000 {
        let (more, next) = try await page(token)
        items += more
        guard let next, !next.isEmpty, seen.insert(next).inserted, items.count < limit else { break }
        token = next
    }
    return items
}
