import Foundation

/// Amazon Route 53 (rest-xml, version 2013-04-01; one global endpoint, signed in us-east-1).
package struct Route53: Sendable {
    let client: AWSClient
    package init(client: AWSClient) { self.client = client }

    package struct AliasTarget: Sendable, Hashable {
        package var hostedZoneID: String
        package var dnsName: String
        package var evaluateTargetHealth: Bool
        package init(hostedZoneID: String, dnsName: String, evaluateTargetHealth: Bool) {
            self.hostedZoneID = hostedZoneID
            self.dnsName = dnsName
            self.evaluateTargetHealth = evaluateTargetHealth
        }
    }

    package struct RecordSet: Sendable, Hashable {
        package var name: String
        package var type: String
        package var ttl: Int?
        package var alias: AliasTarget?
        package var values: [String]
    }

    package struct ChangeInfo: Sendable, Hashable {
        package var id: String
        /// PENDING or INSYNC.
        package var status: String
    }

    static func bare(_ id: String) -> String {
        var id = id
        for prefix in ["/hostedzone/", "/change/"] where id.hasPrefix(prefix) { id.removeFirst(prefix.count) }
        return id
    }

    static func changeInfo(_ xml: XMLNode) -> ChangeInfo {
        let info = xml.first("ChangeInfo") ?? xml
        return ChangeInfo(id: bare(info.value("Id") ?? ""), status: info.value("Status") ?? "")
    }

    /// UPSERTs (or CREATEs/DELETEs) an alias record.
    package func changeAlias(
        hostedZoneID: String, action: String = "UPSERT", name: String, type: String, alias: AliasTarget,
        comment: String? = nil
    ) async throws -> ChangeInfo {
        let body = """
            <?xml version="1.0" encoding="UTF-8"?>
            <ChangeResourceRecordSetsRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/">\
            <ChangeBatch>\(comment.map { "<Comment>\(xmlEscape($0))</Comment>" } ?? "")<Changes><Change>\
            <Action>\(action)</Action><ResourceRecordSet><Name>\(xmlEscape(name))</Name><Type>\(type)</Type>\
            <AliasTarget><HostedZoneId>\(xmlEscape(alias.hostedZoneID))</HostedZoneId>\
            <DNSName>\(xmlEscape(alias.dnsName))</DNSName>\
            <EvaluateTargetHealth>\(alias.evaluateTargetHealth)</EvaluateTargetHealth></AliasTarget>\
            </ResourceRecordSet></Change></Changes></ChangeBatch></ChangeResourceRecordSetsRequest>
            """
        let xml = try await client.restXML(
            .route53, operation: "ChangeResourceRecordSets", method: .POST,
            path: "/2013-04-01/hostedzone/\(Self.bare(hostedZoneID))/rrset/", body: body,
            idempotent: action == "UPSERT")
        return Self.changeInfo(xml)
    }

    /// Record sets starting at a name (and type), every page up to `limit`.
    package func listRecordSets(
        hostedZoneID: String, startName: String? = nil, startType: String? = nil, limit: Int = 1000
    )
        async throws -> [RecordSet]
    {
        var sets: [RecordSet] = []
        var name = startName
        var type = startType
        while true {
            var query: [String] = []
            if let name { query.append("name=\(URIEncoding.encode(name))") }
            if let type { query.append("type=\(type)") }
            let xml = try await client.restXML(
                .route53, operation: "ListResourceRecordSets", method: .GET,
                path: "/2013-04-01/hostedzone/\(Self.bare(hostedZoneID))/rrset", query: query.joined(separator: "&"))
            for node in xml.child("ResourceRecordSets")?.children ?? [] where node.name == "ResourceRecordSet" {
                let alias = node.child("AliasTarget").map {
                    AliasTarget(
                        hostedZoneID: $0.value("HostedZoneId") ?? "", dnsName: $0.value("DNSName") ?? "",
                        evaluateTargetHealth: $0.value("EvaluateTargetHealth") == "true")
                }
                sets.append(
                    RecordSet(
                        name: node.value("Name") ?? "", type: node.value("Type") ?? "",
                        ttl: node.value("TTL").flatMap(Int.init), alias: alias,
                        values: node.child("ResourceRecords")?.children.compactMap { $0.value("Value") } ?? []))
            }
            guard xml.value("IsTruncated") == "true", sets.count < limit else { return sets }
            name = xml.value("NextRecordName")
            type = xml.value("NextRecordType")
        }
    }

    package func getChange(id: String) async throws -> ChangeInfo {
        let xml = try await client.restXML(
            .route53, operation: "GetChange", method: .GET, path: "/2013-04-01/change/\(Self.bare(id))")
        return Self.changeInfo(xml)
    }
}
