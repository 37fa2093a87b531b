"""A stand-in for Akto's data-ingestion service, for tests: POST /api/ingestData as the real
service answers it (DESIGN §3 "Ingest contract"; the service's AuthFilter and IngestionAction).

usage:
  ingest_standin.py serve OUT.jsonl [--tls CERT KEY] [--api-key KEY:ACCOUNT]
                    [--rsa-public-key PUB.pem] [--require FIELD] [--silent] [--max-requests N]
                    [--answer JSON]
  ingest_standin.py make-jwt PRIVATE.pem ACCOUNT_ID [--expired]

serve listens on 127.0.0.1 on a free port (printed on the first line of stdout), over HTTP,
or HTTPS with --tls. It appends one JSON line per request to OUT.jsonl:
{method, path, headers (lower-case names), body, status, answer}, and exits after
--max-requests requests (default 1), 20 seconds without a connection, or 60 seconds.

As the real service:
- authentication is on only when --api-key (AKTO_DI_API_KEY, "key:accountId") or
  --rsa-public-key (RSA_PUBLIC_KEY) is given (AKTO_DI_AUTHENTICATE). Then the X-API-KEY header
  must equal the key part, or else the `authorization` header must hold a raw RS256 JWT
  (no "Bearer") signed by the matching private key, with an integer accountId claim and, when
  present, an unexpired exp; anything else answers 401 "Unauthorized".
- the body is {"batchData": [record, ...]}; every known field of a record is bound to a Java
  String, so a number, boolean, object or list there is refused, as is a body that is not
  JSON: 422 with {"actionErrors": [...]}. Unknown fields are ignored. A batch taken answers
  200 {"success":false}: the action's Struts result serializes only its `success` property
  (includeProperties ^success.*), which ingestData never sets (only healthCheck does), so the
  real service says false for every batch it publishes to Kafka. Versions before that property
  answered {}. --answer JSON replaces the answer to a batch taken (to test both).
- --require FIELD makes a missing or empty FIELD a 422 (a service version that needs it).
- --silent accepts connections and never answers (a stalled service).
"""
import base64
import json
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

STRING_FIELDS = [
    "path", "requestHeaders", "responseHeaders", "method", "requestPayload", "responsePayload",
    "ip", "time", "statusCode", "type", "status", "akto_account_id", "akto_vxlan_id",
    "is_pending", "source",
    # optional String fields the service's entry class also knows
    "destIp", "direction", "process_id", "socket_id", "daemonset_id", "enabled_graph", "tag",
]


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def openssl_sign(key_path, data):
    return subprocess.run(["openssl", "dgst", "-sha256", "-sign", key_path], input=data,
                          capture_output=True, check=True).stdout


def openssl_verify(pub_path, data, signature):
    with tempfile.NamedTemporaryFile(delete=False) as sig:
        sig.write(signature)
    try:
        r = subprocess.run(["openssl", "dgst", "-sha256", "-verify", pub_path, "-signature", sig.name],
                           input=data, capture_output=True)
        return r.returncode == 0
    finally:
        os.unlink(sig.name)


def jwt_account(token, pub_path):
    """The accountId of a valid RS256 JWT, or None."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        header = json.loads(b64url_decode(parts[0]))
        claims = json.loads(b64url_decode(parts[1]))
        signature = b64url_decode(parts[2])
    except ValueError:
        return None
    if header.get("alg") != "RS256":
        return None
    if not openssl_verify(pub_path, (parts[0] + "." + parts[1]).encode(), signature):
        return None
    if "exp" in claims and claims["exp"] < time.time():
        return None
    account = claims.get("accountId")
    return account if isinstance(account, int) and not isinstance(account, bool) else None


def make_jwt(key_path, account, expired):
    header = b64url(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
    now = int(time.time())
    claims = {"accountId": account, "iat": now - 7200, "exp": now - 3600 if expired else now + 3600}
    payload = b64url(json.dumps(claims).encode())
    signature = openssl_sign(key_path, (header + "." + payload).encode())
    return header + "." + payload + "." + b64url(signature)


def check_batch(body, required):
    try:
        data = json.loads(body)
    except ValueError as e:
        return ["Invalid JSON: %s" % e]
    if not isinstance(data, dict) or not isinstance(data.get("batchData"), list):
        return ["batchData: expected a list of records"]
    errors = []
    for i, entry in enumerate(data["batchData"]):
        if not isinstance(entry, dict):
            errors.append("batchData[%d]: expected an object" % i)
            continue
        for name in STRING_FIELDS:
            if name in entry and entry[name] is not None and not isinstance(entry[name], str):
                errors.append("batchData[%d].%s: cannot convert %s to java.lang.String"
                              % (i, name, json.dumps(entry[name])))
        for name in required:
            if not entry.get(name):
                errors.append("batchData[%d].%s: required" % (i, name))
    return errors


def serve(argv):
    out_path = argv[0]
    opts = {"--tls": None, "--api-key": None, "--rsa-public-key": None, "--require": [],
            "--silent": False, "--max-requests": 1, "--answer": '{"success":false}'}
    i = 1
    while i < len(argv):
        a = argv[i]
        if a == "--tls":
            opts[a] = (argv[i + 1], argv[i + 2])
            i += 3
        elif a == "--require":
            opts[a].append(argv[i + 1])
            i += 2
        elif a == "--silent":
            opts[a] = True
            i += 1
        elif a == "--max-requests":
            opts[a] = int(argv[i + 1])
            i += 2
        else:
            opts[a] = argv[i + 1]
            i += 2
    api_key = opts["--api-key"].split(":", 1)[0] if opts["--api-key"] else None
    pub = opts["--rsa-public-key"]
    auth_on = bool(api_key or pub)

    received = [0]

    def record(entry):
        received[0] += 1
        with open(out_path, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")

    if opts["--silent"]:
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        listener.settimeout(600)  # the test kills it when done: a guard, not a timing bound
        print(listener.getsockname()[1], flush=True)
        held = []
        try:
            while True:
                conn, _ = listener.accept()
                held.append(conn)
        except socket.timeout:
            pass
        return

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def reply(self, status, body, content_type="application/json"):
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(data)
            return status, body

        def authenticated(self):
            if not auth_on:
                return True
            key = self.headers.get("X-API-KEY")
            if key and api_key and key == api_key:
                return True
            token = self.headers.get("authorization")
            if token and pub and jwt_account(token, pub) is not None:
                return True
            return False

        def handle_any(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(min(length, 16 * 1024 * 1024)).decode("utf-8", "replace")
            if self.command != "POST" or self.path.split("?")[0] != "/api/ingestData":
                status, answer = self.reply(404, '{"message":"not found"}')
            elif not self.authenticated():
                status, answer = self.reply(
                    401, "<html><body><h1>HTTP Status 401 - Unauthorized</h1></body></html>", "text/html")
            else:
                errors = check_batch(body, opts["--require"])
                if errors:
                    status, answer = self.reply(422, json.dumps({"actionErrors": errors}))
                else:
                    status, answer = self.reply(200, opts["--answer"])
            record({"method": self.command, "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": body, "status": status, "answer": answer})

        do_GET = do_POST = do_PUT = handle_any

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    if opts["--tls"]:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*opts["--tls"])
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    server.timeout = 20
    print(server.server_address[1], flush=True)
    # A client may connect without sending a request (a TCP probe, a refused TLS handshake):
    # only requests count.
    deadline = time.time() + 600  # the test kills it when done: a guard against a stray stand-in
    while received[0] < opts["--max-requests"] and time.time() < deadline:
        server.handle_request()


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "serve":
        serve(sys.argv[2:])
    elif len(sys.argv) >= 4 and sys.argv[1] == "make-jwt":
        print(make_jwt(sys.argv[2], int(sys.argv[3]), "--expired" in sys.argv[4:]))
    else:
        sys.exit(__doc__)


main()
