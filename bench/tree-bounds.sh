#!/usr/bin/env bash
# Benchmark (issue 27, the tree half): time and peak memory of `lint`, `apim coverage` and
# `apim effective` on the trees built to multiply their work, each beside its small twin.
#
#   fan-out      one API with 1,000 operation policies carried by PRODUCTS products (2,000 by
#                default) that have only products/<p>/apis.json; twin: the same with 1 product
#   base-blowup  product, API and operation each with 150 <base /> in <inbound>, global with 10
#                steps (once 150^3 x 10 steps and an abort)
#   fragments    one 80 KB fragment of 20,000 elements included 7,000 times by a 245 KB API
#                policy (once 140M inlined steps and an abort)
#   one-line     100,000 <inbound></inbound> sections on one line (missing-base placing its
#                fix), and the same with missing-base = "off"
#
# Each command runs RUNS times as a whole process; the median wall time and the largest peak
# RSS (GNU time) are printed.
#
#   bash bench/tree-bounds.sh                 # PRODUCTS=2000 RUNS=3
#   PRODUCTS=8000 RUNS=1 bash bench/tree-bounds.sh
#
# Needs: cargo, python3, GNU time (package `time`).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
PRODUCTS=${PRODUCTS:-2000}
[ -x /usr/bin/time ] || { echo "install GNU time (apt-get install time)" >&2; exit 2; }

cargo build --release --quiet
bin=$PWD/target/release/akto-connect
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 - "$work" "$PRODUCTS" <<'EOF'
import os, sys
work, products = sys.argv[1], int(sys.argv[2])
def put(root, rel, text):
    p = os.path.join(work, root, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "w") as f:
        f.write(text)
all_base = "<policies>\n<inbound><base /></inbound>\n<backend><base /></backend>\n<outbound><base /></outbound>\n<on-error><base /></on-error>\n</policies>\n"
glob = "<policies>\n<inbound><rate-limit calls=\"10\" renewal-period=\"60\" /></inbound>\n<backend><forward-request /></backend>\n<outbound />\n<on-error />\n</policies>\n"
for root, n in (("fanout-1", 1), ("fanout", products)):
    put(root, "policy.xml", glob)
    put(root, "apis/a/policy.xml", all_base)
    for o in range(1000):
        put(root, f"apis/a/operations/op{o}/policy.xml", all_base)
    for p in range(n):
        put(root, f"products/p{p}/apis.json", '["a"]')
level = "<policies><inbound>" + "<base />" * 150 + "</inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>"
put("base", "policy.xml", "<policies><inbound>" + "<set-header name=\"x\" exists-action=\"override\"><value>1</value></set-header>" * 10 + "</inbound><backend><forward-request /></backend><outbound /><on-error /></policies>")
put("base", "products/p/policy.xml", level)
put("base", "products/p/apis.json", '["a"]')
put("base", "apis/a/policy.xml", level)
put("base", "apis/a/operations/op0/policy.xml", level)
put("frag", "policy fragments/f/policy.xml", "<fragment>" + "<a/>" * 20000 + "</fragment>")
put("frag", "apis/a/policy.xml", "<policies><inbound><base />" + "<include-fragment fragment-id=\"f\"/>" * 7000 + "</inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>")
put("frag", "apis/a/operations/op0/policy.xml", all_base)
put("line", "policy.xml", "<policies>" + "<inbound></inbound>" * 100000 + "<backend /><outbound /><on-error /></policies>")
put("line", "off.toml", "[rules]\nmissing-base = \"off\"\n")
EOF

run() { # name, dir, args...
  local name=$1 dir=$2; shift 2
  local times=() peak=0
  for _ in $(seq 1 "$RUNS"); do
    (cd "$work/$dir" && /usr/bin/time -f '%e %M' -o "$work/t" "$bin" "$@" >/dev/null 2>&1) || true
    read -r t m < <(tail -n 1 "$work/t")
    times+=("$t")
    [ "$m" -gt "$peak" ] && peak=$m
  done
  local med
  med=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p")
  printf '%-44s %8s s %8s MB\n' "$name" "$med" "$((peak / 1024))"
}

echo "akto-connect $("$bin" --version | cut -d' ' -f2), $(nproc) cores, RUNS=$RUNS, PRODUCTS=$PRODUCTS"
run "lint, fan-out, 1 product" fanout-1 lint --no-config --format sarif .
run "lint, fan-out, $PRODUCTS products" fanout lint --no-config --format sarif .
run "apim coverage, fan-out, 1 product" fanout-1 apim coverage . --format json
run "apim coverage, fan-out, $PRODUCTS products" fanout apim coverage . --format json
run "lint, base blow-up" base lint --no-config .
run "apim effective, base blow-up" base apim effective . --api a --operation op0
run "apim coverage, base blow-up" base apim coverage .
run "lint, fragment fan-out" frag lint --no-config .
run "apim effective, fragment fan-out" frag apim effective . --api a --operation op0
run "apim effective --format json, fragment fan-out" frag apim effective . --api a --operation op0 --format json
run "apim coverage, fragment fan-out" frag apim coverage .
run "lint, 100,000 sections on one line" line lint --no-config policy.xml
run "lint, the same, missing-base off" line lint --config off.toml policy.xml
