import Foundation
import PipelineTestKit
import PipelineTestSupport
import Testing

@testable import PipelineAWS

struct Vector: Decodable, CustomTestStringConvertible, Sendable {
    var name, method, path, query, region, service, amz_date, body, authorization: String
    var headers: [[String]]
    var string_to_sign: String?
    var canonical_request: String?
    var testDescription: String { name }
}

struct VectorFile: Decodable {
    struct Key: Decodable {
        var date, region, service, hex: String
    }
    var secret: String
    var signing_key: Key
    var vectors: [Vector]
}

let vectorFile: VectorFile = {
    let url = repositoryRoot.appendingPathComponent("Tests/PipelineAWSTests/Fixtures/sigv4-vectors.json")
    return try! JSONDecoder().decode(VectorFile.self, from: Data(contentsOf: url))
}()

@Suite struct SigV4Tests {
    @Test(arguments: vectorFile.vectors)
    func publishedVectors(_ v: Vector) {
        let result = SigV4.sign(
            SigV4.Request(
                method: v.method, path: v.path, query: v.query, headers: v.headers.map { ($0[0], $0[1]) },
                payloadHash: SigV4.hexSHA256(Data(v.body.utf8))),
            accessKeyID: "AKIDEXAMPLE", secretAccessKey: vectorFile.secret, region: v.region, service: v.service,
            amzDate: v.amz_date)
        if let creq = v.canonical_request { #expect(result.canonicalRequest == creq) }
        if let sts = v.string_to_sign { #expect(result.stringToSign == sts) }
        #expect(result.authorization == v.authorization)
    }

    @Test func signingKey() {
        let k = vectorFile.signing_key
        let key = SigV4.signingKey(secret: vectorFile.secret, date: k.date, region: k.region, service: k.service)
        #expect(key.withUnsafeBytes { SigV4.hex(Array($0)) } == k.hex)
    }

    /// The same requests signed by botocore's SigV4Auth at a fixed time.
    @Test func matchesBotocore() throws {
        let out = try ProcessRunner.run(
            "python3", [repositoryRoot.appendingPathComponent("Tests/Support/sigv4_golden.py").path])
        #expect(out.status == 0, "sigv4_golden.py failed: \(out.stderr)")
        let cases = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [[String: Any]])
        #expect(cases.count >= 9)
        #expect(cases.contains { $0["s3"] as? Bool == true })
        for c in cases {
            let url = URL(string: c["url"] as! String)!
            let host = url.port.map { "\(url.host!):\($0)" } ?? url.host!
            var headers = (c["headers"] as! [String: String]).map { ($0.key, $0.value) }
            headers.append(("Host", host))
            headers.append(("X-Amz-Date", c["amz_date"] as! String))
            if let token = c["session_token"] as? String { headers.append(("X-Amz-Security-Token", token)) }
            let rawPath = (c["url"] as! String).split(separator: "?")[0].replacingOccurrences(
                of: "\(url.scheme!)://\(host)", with: "")
            let result = SigV4.sign(
                SigV4.Request(
                    method: c["method"] as! String, path: rawPath, query: url.query ?? "", headers: headers,
                    payloadHash: SigV4.hexSHA256(Data((c["body"] as! String).utf8))),
                accessKeyID: "AKIDEXAMPLE", secretAccessKey: vectorFile.secret, region: c["region"] as! String,
                service: c["service"] as! String, amzDate: c["amz_date"] as! String,
                normalizePath: c["s3"] as? Bool != true)
            #expect(result.canonicalRequest == c["canonical_request"] as! String, "\(c["url"]!)")
            #expect(result.authorization == c["authorization"] as! String, "\(c["url"]!)")
        }
    }

    @Test func uriEncoding() {
        #expect(URIEncoding.encode("a b/c~d_e.f-g") == "a%20b%2Fc~d_e.f-g")
        #expect(URIEncoding.encode("/a b/", keepSlash: true) == "/a%20b/")
        #expect(URIEncoding.encode("ሴ") == "%E1%88%B4")
        #expect(URIEncoding.decode("%2Fa%20b") == "/a b")
    }

    @Test func credentialsNeverPrintTheirSecret() {
        let c = AWSCredentials(
            accessKeyID: "AKIAEXAMPLE123", secretAccessKey: "s3cr3t-value", sessionToken: "tok-value", source: "test")
        #expect(!"\(c)".contains("s3cr3t"))
        #expect(!"\(c)".contains("tok-value"))
        #expect(!String(reflecting: c).contains("s3cr3t"))
    }
}
