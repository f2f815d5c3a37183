import Foundation
import NIOHTTP1

/// The code, message and request id of an AWS error response, in JSON or XML.
struct AWSErrorBody {
    var code: String?
    var message: String?
    var requestID: String?

    static func parse(_ body: Data, headers: HTTPHeaders) -> AWSErrorBody {
        var out = AWSErrorBody()
        out.requestID = headers.first(name: "x-amzn-RequestId") ?? headers.first(name: "x-amz-request-id")
        if let header = headers.first(name: "x-amzn-ErrorType") {
            out.code = String(header.split(separator: ":").first ?? Substring(header))
        }
        if let json = try? JSONSerialization.jsonObject(with: body) as? [String: Any] {
            if let type = (json["__type"] as? String) ?? (json["code"] as? String) ?? (json["Code"] as? String) {
                // "com.amazonaws.ecs#ClusterNotFoundException" or "...:http://..."
                let afterHash = type.split(separator: "#").last.map(String.init) ?? type
                out.code = String(afterHash.split(separator: ":").first ?? Substring(afterHash))
            }
            out.message = (json["message"] as? String) ?? (json["Message"] as? String) ?? out.message
        } else if let xml = XMLNode.parse(body) {
            let error = xml.first("Error") ?? xml
            out.code = error.first("Code")?.text ?? out.code
            out.message = error.first("Message")?.text ?? out.message
            out.requestID = xml.first("RequestId")?.text ?? out.requestID
        }
        if out.message == nil, !body.isEmpty, body.count < 512 {
            out.message = String(decoding: body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return out
    }
}
