"""Checks akto-connect's Kong artifacts with the tools Kong users' pipelines use.

usage: kong_validate.py FORMAT FILE SHARED_DIR [DECK_FORMAT_VERSION]
  FORMAT: deck | kic | compose | helm
  DECK_FORMAT_VERSION: the _format_version a decK file must carry ("3.0" by default; "1.1"
  for Kong before 3.0)
Reads FILE with PyYAML (YAML 1.1, as Kubernetes does), validates each document against the
consumer's schema from SHARED_DIR/schemas, and prints the documents as JSON on success.
Exits 1 with the reason on failure.
"""
import json
import sys

import jsonschema
import yaml


def fail(msg):
    print(msg, file=sys.stderr)
    sys.exit(1)


def crd_schema(shared, kind):
    name = {"KongPlugin": "kongplugins-crd.yaml", "KongClusterPlugin": "kongclusterplugins-crd.yaml"}[kind]
    crd = yaml.safe_load(open(f"{shared}/schemas/{name}"))
    return crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]


def check_plugin_resource(shared, doc):
    kind = doc.get("kind")
    if kind not in ("KongPlugin", "KongClusterPlugin"):
        fail(f"unexpected kind {kind!r}")
    jsonschema.validate(doc, crd_schema(shared, kind))
    # x-kubernetes-validations the JSON schema cannot express
    if "config" in doc and "configFrom" in doc:
        fail("config and configFrom are both set")
    name = doc["metadata"]["name"]
    if not isinstance(name, str) or len(name) > 253:
        fail(f"bad metadata.name {name!r}")
    if kind == "KongClusterPlugin":
        if doc["metadata"].get("labels", {}).get("global") != "true":
            fail("a global KongClusterPlugin needs the label global: \"true\" (a string)")
        if "kubernetes.io/ingress.class" not in doc["metadata"].get("annotations", {}):
            fail("a KongClusterPlugin needs the ingress class annotation")
    else:
        if "namespace" not in doc["metadata"]:
            fail("a KongPlugin is namespaced")


def main():
    fmt, path, shared = sys.argv[1], sys.argv[2], sys.argv[3]
    deck_version = sys.argv[4] if len(sys.argv) > 4 else "3.0"
    docs = [d for d in yaml.safe_load_all(open(path, encoding="utf-8")) if d is not None]
    if fmt == "deck":
        (doc,) = docs
        if doc.get("_format_version") != deck_version:
            fail(f"_format_version must be the string {deck_version!r}, not {doc.get('_format_version')!r}")
        schema = json.load(open(f"{shared}/schemas/kong_json_schema.json"))
        jsonschema.Draft4Validator(schema).validate(doc)
    elif fmt == "kic":
        (doc,) = docs
        check_plugin_resource(shared, doc)
    elif fmt == "helm":
        values, resource = docs
        cms = values["plugins"]["configMaps"]
        if not (isinstance(cms, list) and cms[0]["pluginName"] == "akto-api-discovery"):
            fail("plugins.configMaps must mount akto-api-discovery")
        check_plugin_resource(shared, resource)
    elif fmt == "compose":
        (doc,) = docs
        if "version" in doc:
            fail("the obsolete version: key is present")
        schema = json.load(open(f"{shared}/schemas/compose-spec.json"))
        jsonschema.Draft7Validator(schema).validate(doc)
    else:
        fail(f"unknown format {fmt}")
    print(json.dumps(docs))


main()
