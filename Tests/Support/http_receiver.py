#!/usr/bin/env python3
"""A real HTTP receiver for notification tests: records every request as a JSON line.

usage: http_receiver.py LOG [--secret S] [--fail-first N] [--hang]
Prints "PORT <n>" once listening on 127.0.0.1. With --secret, each record says whether the
X-Pipeline-Signature header is the HMAC-SHA256 of the body. --fail-first answers the first N
requests with 500; --hang accepts connections and never answers.
"""
import hashlib, hmac, json, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

args = sys.argv[1:]
log_path = args[0]
secret = args[args.index('--secret') + 1] if '--secret' in args else None
fail_first = int(args[args.index('--fail-first') + 1]) if '--fail-first' in args else 0
hang = '--hang' in args
lock = threading.Lock()
count = [0]


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_POST(self):
        if hang:
            time.sleep(3600)
            return
        body = self.rfile.read(int(self.headers.get('content-length', '0')))
        with lock:
            count[0] += 1
            n = count[0]
        status = 500 if n <= fail_first else (201 if '/deployments' in self.path and '/statuses' not in self.path else 200)
        record = {'n': n, 'path': self.path, 'status': status, 'headers': {k.lower(): v for k, v in self.headers.items()},
                  'body': body.decode('utf-8', 'replace'), 'time': time.time()}
        if secret is not None:
            expected = 'sha256=' + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
            record['signature_ok'] = hmac.compare_digest(expected, self.headers.get('x-pipeline-signature', ''))
        with lock:
            with open(log_path, 'a') as f:
                f.write(json.dumps(record) + '\n')
        answer = json.dumps({'id': 42} if status == 201 else {'ok': status < 300}).encode()
        self.send_response(status)
        self.send_header('content-type', 'application/json')
        self.send_header('content-length', str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)


server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
server.daemon_threads = True
print('PORT %d' % server.server_address[1], flush=True)
server.serve_forever()
