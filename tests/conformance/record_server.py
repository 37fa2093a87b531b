"""A local HTTP server that records requests, standing in for Kong's Admin API in tests.

usage: record_server.py OUT.jsonl MAX_REQUESTS
Listens on 127.0.0.1 (a free port, printed on the first line of stdout), answers every
request 200 with a JSON plugin, or 409 when the path contains "conflict", appends
{method, path, headers, body} per request to OUT.jsonl, and exits after MAX_REQUESTS requests
or 20 seconds without one.
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

out_path, max_requests = sys.argv[1], int(sys.argv[2])


class Handler(BaseHTTPRequestHandler):
    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8")
        with open(out_path, "a", encoding="utf-8") as f:
            f.write(json.dumps({"method": self.command, "path": self.path,
                                "headers": {k.lower(): v for k, v in self.headers.items()},
                                "body": body}) + "\n")
        status = 409 if "conflict" in self.path else 200
        reply = json.dumps({"message": "conflict"} if status == 409 else {"id": "1", "name": "akto-api-discovery"}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    do_PUT = do_POST = do_GET = do_PATCH = handle_any

    def log_message(self, *args):
        pass


server = HTTPServer(("127.0.0.1", 0), Handler)
server.timeout = 20
print(server.server_address[1], flush=True)
for _ in range(max_requests):
    server.handle_request()
