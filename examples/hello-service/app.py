"""hello-service: a tiny HTTP app for pipeline's local provider demo.

Answers GET / with its version, GET /health with "ok". PORT comes from the local provider
(the first port mapping of the task definition). SIGTERM stops it gracefully.
"""
import json
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

VERSION = "1"


def greeting(name):
    return f"hello, {name}"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: don't wait for an ACK between them

    def do_GET(self):
        if self.path == "/health":
            return self.answer(200, "ok\n")
        try:
            body = {
                "message": greeting("world"),
                "version": VERSION,
                "commit": os.environ.get("COMMIT", "")[:7],
                "task": os.environ.get("PIPELINE_TASK_ID", ""),
            }
            self.answer(200, json.dumps(body) + "\n", "application/json")
        except Exception as error:  # the bug of version 2 lands here
            self.answer(500, f"internal error in version {VERSION}: {error!r}\n")

    def answer(self, status, text, kind="text/plain"):
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):
        pass


def main():
    port = int(os.environ.get("PORT", "8080"))
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True

    def stop(signum, frame):
        print(f"version {VERSION}: SIGTERM, shutting down", flush=True)
        threading.Thread(target=server.shutdown).start()

    signal.signal(signal.SIGTERM, stop)
    print(f"version {VERSION} listening on 127.0.0.1:{port}", flush=True)
    server.serve_forever()
    server.server_close()
    sys.exit(0)


if __name__ == "__main__":
    main()
