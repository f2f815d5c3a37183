#!/usr/bin/env python3
"""Golden SigV4 values from botocore's SigV4Auth at a fixed time, as JSON on stdout.

The Swift signer must produce the same canonical request and Authorization header for each case.
"""
import datetime
import json

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

FIXED = datetime.datetime(2026, 11, 21, 9, 30, 15)
botocore.auth.get_current_datetime = lambda *a, **k: FIXED

CASES = [
    ("ecs", "us-east-1", "POST", "https://ecs.us-east-1.amazonaws.com/", '{"cluster":"demo"}',
     {"Content-Type": "application/x-amz-json-1.1",
      "X-Amz-Target": "AmazonEC2ContainerServiceV20141113.DescribeServices"}, None),
    ("monitoring", "eu-west-1", "POST", "https://monitoring.eu-west-1.amazonaws.com/", '{"AlarmNames":["a b"]}',
     {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "GraniteServiceVersion20100801.DescribeAlarms"},
     "FwoGZXIvYXdzEBYaDOpaque+Session/Token=="),
    ("elasticloadbalancing", "us-west-2", "POST", "https://elasticloadbalancing.us-west-2.amazonaws.com/",
     "Action=DescribeLoadBalancers&Version=2015-12-01&Names.member.1=my-lb",
     {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}, None),
    ("route53", "us-east-1", "GET",
     "https://route53.amazonaws.com/2013-04-01/hostedzone/Z123ABC/rrset?name=api.example.com.&type=A&maxitems=5",
     "", {}, None),
    ("route53", "us-east-1", "GET", "https://route53.amazonaws.com/2013-04-01/change/C2682N5HXP0BZ4", "", {}, None),
    ("servicediscovery", "ap-southeast-2", "POST", "http://127.0.0.1:5000/", '{"Id":"ns-1"}',
     {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "Route53AutoNaming_v20170314.GetNamespace"}, None),
    ("ecs", "us-east-1", "GET", "https://example.amazonaws.com/a/./b/../c//d?x=1&b=%20space&a=~tilde&a=%2Fslash",
     "", {"X-Custom": "  two   spaces  "}, None),
]

# S3 signs the path as sent (no normalisation, no second encoding) and the payload hash header.
S3_CASES = [
    ("s3", "us-east-1", "PUT", "http://127.0.0.1:5000/state-bucket/team/a%20b/runs/web/12/run.json", '{"id":"web-12"}',
     {"If-None-Match": "*", "Content-Type": "application/json"}, None),
    ("s3", "eu-west-1", "GET", "https://s3.eu-west-1.amazonaws.com/b/?list-type=2&prefix=index%2F&max-keys=20", "",
     {}, "FwoGZXIvYXdzEBYaDOpaque+Session/Token=="),
]


def main():
    out = []
    for (service, region, method, url, body, headers, token), s3 in [(c, False) for c in CASES] + [
            (c, True) for c in S3_CASES]:
        creds = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token)
        request = AWSRequest(method=method, url=url, data=body.encode(), headers=dict(headers))
        signer = (botocore.auth.S3SigV4Auth if s3 else botocore.auth.SigV4Auth)(creds, service, region)
        signer.add_auth(request)
        if s3:
            headers = dict(headers, **{"X-Amz-Content-SHA256": request.headers["X-Amz-Content-SHA256"]})
        authorization = request.headers["Authorization"]
        del request.headers["Authorization"]
        out.append({
            "service": service, "region": region, "method": method, "url": url, "body": body,
            "headers": headers, "session_token": token, "s3": s3,
            "amz_date": request.headers["X-Amz-Date"],
            "canonical_request": signer.canonical_request(request),
            "authorization": authorization,
        })
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
