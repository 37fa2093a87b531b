#!/usr/bin/env python3
"""An HTTPS front that answers every request with a redirect, for the tests of issue 27
(tests/it/net_attack.rs): a credential must never follow a redirect from https:// to http://.

  redirect_standin.py CERT KEY TO LOG.jsonl [--status 302]

Serves HTTPS on 127.0.0.1 (a free port, printed on the first line of standard output) with the
certificate CERT and its key KEY, and answers every request with STATUS (302 by default) and
`Location: TO` followed by the request's path and query. Each request is appended to LOG.jsonl
as one JSON object: method, path and headers (names in lower case), so the test sees what the
client sent before it was redirected.
"""

import json
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main():
    args = sys.argv[1:]
    status = 302
    if "--status" in args:
        i = args.index("--status")
        status = int(args[i + 1])
        del args[i : i + 2]
    if len(args) != 4:
        sys.exit(__doc__)
    cert, key, to, log = args
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def answer(self):
            length = int(self.headers.get("content-length") or 0)
            if length:
                self.rfile.read(length)
            record = {
                "method": self.command,
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
            }
            with lock, open(log, "a", encoding="utf-8") as f:
                f.write(json.dumps(record) + "\n")
            self.send_response(status)
            self.send_header("Location", to + self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = answer

        def log_message(self, *_):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
