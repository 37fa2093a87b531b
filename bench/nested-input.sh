#!/usr/bin/env bash
# Benchmark (issue 27): deeply nested YAML and JSON given to the commands that read it are
# refused before any parser runs. Each input is built here; each command runs as a whole
# process RUNS times; the median wall time and the largest peak RSS (GNU time) are reported.
#
#   bash bench/nested-input.sh        # RUNS=5
#
# Needs: cargo, python3, GNU time (package `time`).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
[ -x /usr/bin/time ] || { echo "install GNU time (apt-get install time)" >&2; exit 2; }

cargo build --release --quiet
bin=$PWD/target/release/akto-connect

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$work" <<'PY'
import sys, os
d = sys.argv[1]
open(os.path.join(d, "flow.yaml"), "w").write("x: " + "[" * 100000 + "]" * 100000 + "\n")
open(os.path.join(d, "dashes.yaml"), "w").write("- " * 100000 + "x\n")
open(os.path.join(d, "blocks.yaml"), "w").write("".join(" " * i + "k%d:\n" % i for i in range(3000)))
open(os.path.join(d, "flow.json"), "w").write('{"a":' * 50000 + "1" + "}" * 50000 + "\n")
# Just under both limits (98 deep, 294,000 collections): accepted by the check, then parsed
# (and refused as no decK / no Compose file); and 4 MB of it, over the collection limit.
line = "- " + "[" * 97 + "]" * 97 + "\n"
open(os.path.join(d, "near.yaml"), "w").write(line * 3000)
open(os.path.join(d, "many.yaml"), "w").write(line * (4000000 // len(line)))
PY

measure() { # label, command...
  local label=$1; shift
  local walls=() peak=0
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -f '%e %M' -o "$work/t" "$@" >/dev/null 2>"$work/err" || true
    read -r wall rss < <(tail -n 1 "$work/t")
    walls+=("$wall"); [ "$rss" -gt "$peak" ] && peak=$rss
  done
  local median
  median=$(printf '%s\n' "${walls[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p")
  printf '| %s | %s | %s s | %.1f MB | %s |\n' "$label" "$(wc -c <"$file")" "$median" \
    "$(echo "$peak / 1024" | bc -l)" "$(head -c 90 "$work/err" | tr '\n' ' ')"
}

echo "| command | input bytes | median wall | peak RSS | message |"
echo "|---|---|---|---|---|"
for f in flow.yaml dashes.yaml blocks.yaml flow.json near.yaml many.yaml; do
  file=$work/$f
  measure "verify --from-kong $f" "$bin" verify --from-kong "$file"
  measure "kong enable --format compose --base-compose $f" \
    "$bin" kong enable --format compose --base-compose "$file"
done
