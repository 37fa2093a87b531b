"""A stand-in for Kong's Admin API, for tests: the plugin endpoints as Kong 2.8, 3.0-3.1 and
3.2+ behave, written from Kong's documentation and source (kong/api/endpoints.lua,
kong/api/routes/kong.lua, kong/db/schema/entities/plugins.lua, CHANGELOG 3.2.0).

usage: kong_admin_standin.py STATE.json [--version 3.4.2] [--database postgres|off]
                             [--role traditional|data_plane] [--not-installed]
                             [--token TOKEN] [--preload PLUGINS.json] [--workspace WS]...

Listens on 127.0.0.1 on a free port (printed on the first line of stdout). After every
request it writes STATE.json: {"plugins": [...], "workspaces": {WS: [...]},
"requests": [{"method", "path", "status"}]} ("plugins" is the default workspace's).
Exits after 600 requests or 30 seconds without one.

What it reproduces:
- GET /: version, configuration.database and .role, plugins.available_on_server (name ->
  {version, priority}), plugins.enabled_in_cluster.
- Services "orders" and route "orders-api" exist (by name or id); others are 404 Not found.
- GET /plugins, /services/{s}/plugins, /routes/{r}/plugins: paged lists (size, default 100,
  at most 1000; `next` is the path of the next page without the size, as Kong writes it, or
  null).
- POST to those lists: creates (201). A second plugin of the same name on the same scope is
  409 (unique constraint on name + service + route + consumer), on POST and PUT alike.
- PUT/GET/PATCH/DELETE .../plugins/{key}: a UUID key upserts by id on every version. A
  non-UUID key is an instance name on 3.2+, and a 400 "invalid primary key" before.
- The field instance_name exists from 3.2 (unique); before, it is 400 "unknown field".
- Schema of the akto-api-discovery config: service_url (required, http/https), timeout
  (integer, default 30000), log_level (debug|info|warn|error, default warn); other keys are
  unknown fields. No consumer scope. A plugin not installed is a 400 on write.
- DB-less (database off): every write is 405; GETs work.
- Answers are written as Kong's lua-cjson writes them: UTF-8 unescaped, `/` as `\/`.
- GET /schemas/plugins/{name}: the plugin's schema, its config record's fields from
  --plugin-fields (Akto's service_url,timeout,log_level by default); 404 for a plugin not
  installed.
- --token: requests without the header Kong-Admin-Token: TOKEN get 401.
- --workspace WS (Kong Enterprise): entity paths may start with /WS/ (services and routes of the
  same names exist there); each workspace has its own plugins, and a plugin id is unique across
  all of them (a PUT creating an id used in another workspace is a 409). Node endpoints such
  as GET / are at the root only (GET /WS/ is a 404 here). Paging links carry no workspace.
"""
import argparse
import base64
import json
import re
import sys
import time
import uuid
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, quote, unquote, urlsplit

PLUGIN = "akto-api-discovery"
UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

ap = argparse.ArgumentParser()
ap.add_argument("state")
ap.add_argument("--version", default="3.4.2")
ap.add_argument("--database", default="postgres")
ap.add_argument("--role", default="traditional")
ap.add_argument("--not-installed", action="store_true")
ap.add_argument("--token")
ap.add_argument("--preload")
ap.add_argument("--workspace", action="append", default=[])
ap.add_argument("--plugin-fields", default="service_url,timeout,log_level",
                help="the config fields GET /schemas/plugins/akto-api-discovery reports")
args = ap.parse_args()

m = re.match(r"^(\d+)\.(\d+)", args.version)
VERSION = (int(m.group(1)), int(m.group(2)))
HAS_INSTANCE_NAME = VERSION >= (3, 2)
HAS_UPDATED_AT = VERSION >= (3, 0)
DBLESS = args.database == "off"

SERVICES = {"orders": "0b6f7c0e-2f3a-4c5d-8e9f-0a1b2c3d4e5f"}
ROUTES = {"orders-api": "1c7a8d1f-3a4b-4d6e-9fa0-1b2c3d4e5f60"}
AVAILABLE = ["cors", "key-auth", "rate-limiting"] + ([] if args.not_installed else [PLUGIN])

WORKSPACES = {"default": []}
for ws in args.workspace:
    WORKSPACES[ws] = []
plugins = WORKSPACES["default"]  # the current request's workspace, in creation order
requests_log = []


def now():
    return int(time.time())


def base_entity(pid, name):
    e = {"id": pid, "name": name, "created_at": now(), "service": None, "route": None,
         "consumer": None, "config": {}, "enabled": True,
         "protocols": ["grpc", "grpcs", "http", "https"], "tags": None}
    if HAS_UPDATED_AT:
        e["updated_at"] = e["created_at"]
        e["ordering"] = None
    if HAS_INSTANCE_NAME:
        e["instance_name"] = None
    return e


if args.preload:
    # Each entry is a plugin; "_workspace": WS puts it in that workspace.
    for p in json.load(open(args.preload)):
        ws = p.pop("_workspace", "default")
        e = base_entity(p.get("id") or str(uuid.uuid4()), p["name"])
        e.update(p)
        WORKSPACES[ws].append(e)


class Refusal(Exception):
    def __init__(self, status, body):
        super().__init__(status)
        self.status, self.body = status, body


def schema_violation(field, msg):
    return Refusal(400, {"code": 2, "name": "schema violation",
                         "message": "schema violation (%s: %s)" % (field, msg),
                         "fields": {field: msg}})


def not_found():
    return Refusal(404, {"message": "Not found"})


def scope_key(e):
    ref = lambda k: e.get(k) and e[k].get("id")
    # Kong 3.4+ also scopes plugins by consumer group.
    return (e["name"], ref("service"), ref("route"), ref("consumer"), ref("consumer_group"))


def validate(entity, key_id):
    allowed = {"id", "name", "config", "service", "route", "consumer", "enabled", "protocols",
               "tags", "created_at"}
    if HAS_UPDATED_AT:
        allowed |= {"updated_at", "ordering"}
    if HAS_INSTANCE_NAME:
        allowed.add("instance_name")
    for k in entity:
        if k not in allowed:
            raise schema_violation(k, "unknown field")
    name = entity.get("name")
    if not isinstance(name, str):
        raise schema_violation("name", "required field missing")
    if name not in AVAILABLE:
        raise schema_violation("name", "plugin '%s' not enabled; add it to the 'plugins' configuration property" % name)
    if name == PLUGIN:
        cfg = entity.get("config") or {}
        if not isinstance(cfg, dict):
            raise schema_violation("config", "expected a record")
        for k in cfg:
            if k not in ("service_url", "timeout", "log_level"):
                raise schema_violation("config." + k, "unknown field")
        url = cfg.get("service_url")
        if not isinstance(url, str) or not re.match(r"^https?://[^/\s]+", url):
            raise schema_violation("config.service_url", "required field missing" if url is None else "invalid url")
        t = cfg.get("timeout", 30000)
        if isinstance(t, str) and t.isdigit():
            t = int(t)
        if not isinstance(t, int) or isinstance(t, bool):
            raise schema_violation("config.timeout", "expected an integer")
        level = cfg.get("log_level", "warn")
        if level not in ("debug", "info", "warn", "error"):
            raise schema_violation("config.log_level", "expected one of: debug, info, warn, error")
        entity["config"] = {"service_url": url, "timeout": t, "log_level": level}
        if entity.get("consumer"):
            raise schema_violation("consumer", "value must be null")
    inst = entity.get("instance_name")
    if inst is not None:
        for other in plugins:
            if other["id"] != key_id and other.get("instance_name") == inst:
                raise Refusal(409, {"code": 5, "name": "unique constraint violation",
                                    "message": "UNIQUE violation detected on '{instance_name=\"%s\"}'" % inst,
                                    "fields": {"instance_name": inst}})
    for other in plugins:
        if other["id"] != key_id and scope_key(other) == scope_key(entity):
            sk = scope_key(entity)
            raise Refusal(409, {"code": 5, "name": "unique constraint violation",
                                "message": "UNIQUE violation detected on '{consumer=null,name=\"%s\",route=%s,service=%s}'"
                                           % (sk[0], sk[2] and '{id="%s"}' % sk[2] or "null",
                                              sk[1] and '{id="%s"}' % sk[1] or "null"),
                                "fields": {"name": sk[0]}})


def parse_body(handler):
    length = int(handler.headers.get("Content-Length") or 0)
    raw = handler.rfile.read(length).decode("utf-8") if length else ""
    ctype = (handler.headers.get("Content-Type") or "").lower()
    if not raw:
        return {}
    if ctype.startswith("application/json"):
        try:
            body = json.loads(raw)
        except ValueError:
            raise Refusal(400, {"message": "Cannot parse JSON body"})
        if not isinstance(body, dict):
            raise Refusal(400, {"message": "Cannot parse JSON body"})
        return body
    if ctype.startswith("application/x-www-form-urlencoded") or not ctype:
        body = {}
        for k, vs in parse_qs(raw, keep_blank_values=True).items():
            node = body
            parts = k.split(".")
            for p in parts[:-1]:
                node = node.setdefault(p, {})
            node[parts[-1]] = vs[-1]
        return body
    raise Refusal(415, {"message": "Unsupported Content Type"})


def parent(kind, key):
    table = SERVICES if kind == "services" else ROUTES if kind == "routes" else None
    if table is None:
        raise not_found()
    for name, pid in table.items():
        if key in (name, pid):
            return {"id": pid}
    raise not_found()


def find_plugin(key, parent_field, parent_ref):
    if UUID_RE.match(key):
        match = [p for p in plugins if p["id"] == key]
    elif HAS_INSTANCE_NAME:
        match = [p for p in plugins if p.get("instance_name") == key]
    else:
        raise Refusal(400, {"code": 3, "name": "invalid primary key",
                            "message": "invalid primary key: '{id=\"expected a valid UUID\"}'",
                            "fields": {"id": "expected a valid UUID"}})
    if match and parent_field and match[0].get(parent_field) != parent_ref:
        return None
    return match[0] if match else None


def write_entity(body, pid, existing, parent_field, parent_ref):
    entity = base_entity(pid, body.get("name"))
    if existing:
        entity["created_at"] = existing["created_at"]
    for k, v in body.items():
        if k != "id":
            entity[k] = v
    if parent_field:
        entity[parent_field] = parent_ref
    validate(entity, pid)
    if HAS_UPDATED_AT:
        entity["updated_at"] = now()
    return entity


class Handler(BaseHTTPRequestHandler):
    def reply(self, status, body):
        # The state is on disk before the answer leaves, so a client that has its answer
        # can read the state.
        requests_log.append({"method": self.command, "path": self.path, "status": status})
        with open(args.state, "w") as f:
            json.dump({"plugins": WORKSPACES["default"], "workspaces": WORKSPACES,
                       "requests": requests_log}, f)
        # As Kong's lua-cjson writes JSON: non-ASCII as raw UTF-8, `/` escaped as `\/`
        # (a `/` only occurs inside strings, so the replacement keeps the JSON valid).
        data = b"" if body is None else json.dumps(body, ensure_ascii=False).replace("/", "\\/").encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Server", "kong/%s" % args.version)
        self.end_headers()
        self.wfile.write(data)
        return status

    def handle_any(self):
        url = urlsplit(self.path)
        try:
            self.route(url)
        except Refusal as r:
            self.reply(r.status, r.body)

    def route(self, url):
        if args.token and self.headers.get("Kong-Admin-Token") != args.token:
            # drain any body
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            return self.reply(401, {"message": "Invalid credentials. Token or User credentials required"})
        global plugins
        parts = [unquote(p) for p in url.path.split("/") if p]
        plugins = WORKSPACES["default"]
        if parts and parts[0] in WORKSPACES:
            plugins = WORKSPACES[parts[0]]
            parts = parts[1:]
            if not parts:
                raise not_found()
        method = self.command
        body = parse_body(self) if method in ("POST", "PUT", "PATCH") else {}
        if DBLESS and method != "GET":
            return self.reply(405, {"message": "Method not allowed"})
        if not parts:
            if method != "GET":
                return self.reply(405, {"message": "Method not allowed"})
            return self.reply(200, self.root())
        if parts[:2] == ["schemas", "plugins"] and len(parts) == 3 and method == "GET":
            # Kong's plugin schema endpoint: the entity fields, then the config record.
            if parts[2] not in AVAILABLE:
                return self.reply(404, {"message": "No plugin named '%s'" % parts[2]})
            fields = [{f: {"type": "string"}} for f in args.plugin_fields.split(",") if f]
            return self.reply(200, {"fields": [
                {"protocols": {"type": "set", "elements": {"type": "string"}}},
                {"config": {"type": "record", "required": True, "fields": fields}}]})
        parent_field = parent_ref = None
        if len(parts) >= 3 and parts[0] in ("services", "routes", "consumers") and parts[2] == "plugins":
            parent_ref = parent(parts[0], parts[1])
            parent_field = parts[0][:-1]
            rest = parts[3:]
        elif parts[0] == "plugins":
            rest = parts[1:]
        else:
            raise not_found()
        if len(rest) == 0:
            if method == "GET":
                return self.reply(200, self.page(url, parent_field, parent_ref))
            if method == "POST":
                e = write_entity(body, str(uuid.uuid4()), None, parent_field, parent_ref)
                plugins.append(e)
                return self.reply(201, e)
            return self.reply(405, {"message": "Method not allowed"})
        if len(rest) != 1:
            raise not_found()
        key = rest[0]
        existing = find_plugin(key, parent_field, parent_ref)
        if method == "GET":
            if not existing:
                raise not_found()
            return self.reply(200, existing)
        if method == "DELETE":
            if existing:
                plugins.remove(existing)
            return self.reply(204, None)
        if method == "PATCH":
            if not existing:
                raise not_found()
            merged = dict(existing)
            for k, v in body.items():
                if k == "config" and isinstance(v, dict):
                    merged["config"] = dict(existing["config"], **v)
                elif k != "id":
                    merged[k] = v
            merged.pop("updated_at", None)
            e = write_entity(merged, existing["id"], existing, parent_field, parent_ref)
            plugins[plugins.index(existing)] = e
            return self.reply(200, e)
        if method == "PUT":
            if existing:
                pid = existing["id"]
            elif UUID_RE.match(key):
                pid = key
            else:  # 3.2+: PUT by instance name creates it with that name
                pid = str(uuid.uuid4())
                body = dict(body, instance_name=key)
            e = write_entity(body, pid, existing, parent_field, parent_ref)
            if existing:
                plugins[plugins.index(existing)] = e
            else:
                if any(p["id"] == pid for ws in WORKSPACES.values() for p in ws):
                    # the id belongs to a plugin on another scope: Kong reports the clash
                    raise Refusal(409, {"code": 5, "name": "primary key violation",
                                        "message": "primary key violation on key '{id=\"%s\"}'" % pid})
                plugins.append(e)
            return self.reply(200, e)
        return self.reply(405, {"message": "Method not allowed"})

    def root(self):
        available = {n: {"version": args.version, "priority": 1000} for n in AVAILABLE}
        return {"tagline": "Welcome to kong", "version": args.version, "edition": "community",
                "hostname": "standin", "node_id": "7a3a4a8c-5bde-4f0e-8d4c-1f2e3d4c5b6a",
                "plugins": {"available_on_server": available,
                            "enabled_in_cluster": sorted({p["name"] for p in plugins})},
                "lua_version": "LuaJIT 2.1.0-beta3",
                "configuration": {"database": args.database, "role": args.role,
                                  "admin_listen": ["127.0.0.1:8001"], "plugins": ["bundled"]},
                "timers": {"running": 0, "pending": 1}}

    def page(self, url, parent_field, parent_ref):
        q = parse_qs(url.query)
        size = int(q.get("size", ["100"])[0])
        if not 1 <= size <= 1000:
            raise schema_violation("size", "size must be an integer between 1 and 1000")
        offset = 0
        if "offset" in q:
            try:
                offset = int(base64.b64decode(q["offset"][0]).decode())
            except Exception:
                raise Refusal(400, {"message": "invalid offset"})
        rows = [p for p in plugins if not parent_field or p.get(parent_field) == parent_ref]
        chunk = rows[offset:offset + size]
        nxt = token = None
        if offset + size < len(rows):
            # As Kong: the offset escaped, the parent by id, and no size (the next page has
            # the default size unless the client asks again).
            token = base64.b64encode(str(offset + size).encode()).decode()
            prefix = "/%ss/%s" % (parent_field, parent_ref["id"]) if parent_field else ""
            nxt = "%s/plugins?offset=%s" % (prefix, quote(token, safe=""))
        return {"data": chunk, "next": nxt, "offset": token}

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any

    def log_message(self, *a):
        pass


class Server(HTTPServer):
    idle = False

    def handle_timeout(self):
        self.idle = True


server = Server(("127.0.0.1", 0), Handler)
server.timeout = 30
with open(args.state, "w") as f:
    json.dump({"plugins": plugins, "workspaces": WORKSPACES, "requests": requests_log}, f)
print(server.server_address[1], flush=True)
for _ in range(600):
    server.handle_request()
    if server.idle:
        break
sys.exit(0)
