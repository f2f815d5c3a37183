#!/usr/bin/env python3
"""A task behind the local load balancer in proxy tests (HTTP/1.1, kept-alive connections).

usage: proxy_upstream.py NAME
Prints {"port": N} once listening on 127.0.0.1. Answers:
  GET /            "NAME" with a Content-Length
  POST /echo       the request body back, with x-seen-forwarded-for: the X-Forwarded-For it got
  GET /big?n=K     K bytes in chunked transfer encoding, 64 KiB a chunk
  GET /close       "NAME", then closes the connection (Connection: close)
  GET /conns       how many connections this server accepted so far
  GET /hang        nothing, for 30 s
  HEAD /           the headers of GET /
"""
import json, os, signal, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

name = sys.argv[1]
connections = [0]
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def setup(self):
        with lock:
            connections[0] += 1
        super().setup()

    def log_message(self, *a):
        pass

    def answer(self, body, extra=None, send_body=True):
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def do_HEAD(self):
        self.answer(name.encode(), send_body=False)

    def do_GET(self):
        if self.path.startswith("/big"):
            n = int(self.path.split("n=")[1])
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            sent = 0
            while sent < n:
                size = min(65536, n - sent)
                self.wfile.write(b"%x\r\n" % size + b"x" * size + b"\r\n")
                sent += size
            self.wfile.write(b"0\r\n\r\n")
        elif self.path == "/close":
            self.close_connection = True
            self.answer(name.encode(), {"Connection": "close"})
        elif self.path == "/hang":
            import time
            time.sleep(30)
        elif self.path == "/conns":
            self.answer(str(connections[0]).encode())
        else:
            self.answer(name.encode())

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        self.answer(body, {"x-seen-forwarded-for": self.headers.get("x-forwarded-for", "")})


# A parent may spawn us with signals blocked (threads of a Swift process block them): let SIGTERM in.
signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM, signal.SIGINT])
signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
print(json.dumps({"port": server.server_address[1]}), flush=True)
threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()
server.serve_forever()
