#!/usr/bin/env python3
"""A stand-in for the ECS container credentials endpoint and EC2 IMDSv2, on 127.0.0.1.

  GET  /creds                     container credentials (needs Authorization: secret-token)
  PUT  /latest/api/token          an IMDSv2 session token
  GET  /latest/meta-data/iam/security-credentials/        the role name (needs the token)
  GET  /latest/meta-data/iam/security-credentials/ROLE    the role's credentials (needs the token)
  GET  /__count__                 how many credential documents were served
Credentials expire --ttl seconds after they are served; each has a new AccessKeyId (KEY1, KEY2, ...).
"""
import argparse
import datetime
import json
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

served = {"n": 0}
TTL = 3600


def creds():
    served["n"] += 1
    exp = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=TTL)
    return json.dumps({"AccessKeyId": "KEY%d" % served["n"], "SecretAccessKey": "secret%d" % served["n"],
                       "Token": "token%d" % served["n"], "Expiration": exp.strftime("%Y-%m-%dT%H:%M:%SZ")}).encode()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, status, body=b""):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self.reply(200, b"{}")

    def do_PUT(self):
        if self.path == "/latest/api/token" and self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
            return self.reply(200, b"imds-session-token")
        self.reply(400)

    def do_GET(self):
        if self.path == "/__count__":
            return self.reply(200, str(served["n"]).encode())
        if self.path == "/creds":
            if self.headers.get("Authorization") != "secret-token":
                return self.reply(401)
            return self.reply(200, creds())
        if self.path.startswith("/latest/meta-data/iam/security-credentials/"):
            if self.headers.get("X-aws-ec2-metadata-token") != "imds-session-token":
                return self.reply(401)
            role = self.path.rsplit("/", 1)[-1]
            return self.reply(200, creds() if role else b"pipeline-role\n")
        self.reply(404)


def main():
    global TTL
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM, signal.SIGINT])
    signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
    parser = argparse.ArgumentParser()
    parser.add_argument("--ttl", type=int, default=3600)
    TTL = parser.parse_args().ttl
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(json.dumps({"port": server.server_address[1]}), flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def watch():
        while sys.stdin.buffer.read(4096):
            pass
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()
    while True:
        time.sleep(0.5)


if __name__ == "__main__":
    main()
