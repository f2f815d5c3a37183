#!/usr/bin/env python3
"""A fault-injecting HTTP proxy for the AWS client's retry tests.

Forwards every request to --upstream, except while a fault is armed. Control it with
POST /__fault__ {"mode": M, "count": N, "seconds": S}: the next N requests get fault M:
  throttle     400 ThrottlingException (JSON), not forwarded
  unavailable  503 ServiceUnavailable, not forwarded
  drop_before  the connection is closed without an answer, not forwarded
  drop_after   forwarded (so applied), then the connection is closed without an answer
  stall        waits S seconds, then forwards
With "operation": OP only requests of that operation count. {"random": P, "seed": N} instead arms a
fault for every request with probability P, its mode drawn from the five above (stalls of S seconds).
GET /__fault__/stats returns how many requests were forwarded, by operation (X-Amz-Target's
operation or the query Action); GET /__fault__/injected how many faults, by "operation:mode". Prints {"port": N} when ready. Dies with its parent.
"""
import argparse
import os
import json
import signal
import sys
import threading
import time
import urllib.parse
import http.client
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

state = {"mode": None, "count": 0, "seconds": 0, "operation": None, "random": 0.0, "forwarded": {},
         "injected": {}}
rng = __import__("random").Random(1)
MODES = ["throttle", "unavailable", "drop_before", "drop_after", "stall"]
lock = threading.Lock()


def operation(headers, body):
    target = headers.get("X-Amz-Target")
    if target:
        return target.split(".")[-1]
    try:
        return urllib.parse.parse_qs(body.decode()).get("Action", ["?"])[0]
    except Exception:
        return "?"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    upstream = None

    def log_message(self, *args):
        pass

    def _control(self, body):
        if self.command == "POST":
            spec = json.loads(body or b"{}")
            with lock:
                state.update(mode=spec.get("mode"), count=int(spec.get("count", 1)),
                             seconds=float(spec.get("seconds", 0)), operation=spec.get("operation"),
                             random=float(spec.get("random", 0)))
                if "seed" in spec:
                    rng.seed(int(spec["seed"]))
                if spec.get("reset"):
                    state["forwarded"] = {}
            out = b"{}"
        else:
            with lock:
                which = "injected" if self.path.endswith("/injected") else "forwarded"
                out = json.dumps(state[which]).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.path.startswith("/__fault__"):
            return self._control(body)
        with lock:
            op = operation(self.headers, body)
            mode = None
            if state["random"] > 0:
                if rng.random() < state["random"]:
                    mode = rng.choice(MODES)
            elif state["count"] > 0 and state["operation"] in (None, op):
                mode = state["mode"]
                state["count"] -= 1
            if mode:
                key = "%s:%s" % (op, mode)
                state["injected"][key] = state["injected"].get(key, 0) + 1
            seconds = state["seconds"]
        if mode == "throttle":
            return self._reply(400, b'{"__type":"ThrottlingException","message":"Rate exceeded"}',
                               "application/x-amz-json-1.1")
        if mode == "unavailable":
            return self._reply(503, b'{"__type":"ServiceUnavailableException","message":"try again"}',
                               "application/x-amz-json-1.1")
        if mode == "drop_before":
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if mode == "stall":
            time.sleep(seconds)
        status, headers, data = self._forward(body)
        with lock:
            state["forwarded"][op] = state["forwarded"].get(op, 0) + 1
        if mode == "drop_after":
            self.close_connection = True
            self.connection.shutdown(2)
            return
        self.send_response(status)
        for k, v in headers:
            if k.lower() not in ("content-length", "transfer-encoding", "connection", "server", "date"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _forward(self, body):
        conn = http.client.HTTPConnection(self.upstream[0], self.upstream[1], timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
        conn.request(self.command, self.path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        return resp.status, resp.getheaders(), data

    def _reply(self, status, body, ctype):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = _handle


def main():
    # A parent may spawn us with signals blocked (threads of a Swift process block them); let SIGTERM in.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM, signal.SIGINT])
    parser = argparse.ArgumentParser()
    parser.add_argument("--upstream", required=True)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
    url = urllib.parse.urlparse(args.upstream)
    Handler.upstream = (url.hostname, url.port)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(json.dumps({"port": server.server_address[1]}), flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def watch():
        # Exit when the test process goes: its end of our stdin closes.
        while sys.stdin.buffer.read(4096):
            pass
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()
    while True:  # the main thread stays free to run the SIGTERM handler
        time.sleep(0.5)


if __name__ == "__main__":
    main()
