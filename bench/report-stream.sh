#!/usr/bin/env bash
# Benchmark (issue 27): peak memory of `lint --format F -o FILE` on six 4 MiB fragments made of
# `<base />` (466,000 elements each: past the reader's element cap, so one `parse-error` per
# file; once 3 million findings and a report of gigabytes in SARIF). MIB=1 stays under the cap:
# 116,000 findings per file, 1,001 of them reported (the cap of one rule in one file). The
# report streams to the temporary file beside FILE, renamed at the end, so memory does not grow
# with the report.
#
#   bash bench/report-stream.sh            # FORMATS="sarif json text" MIB=4
#
# Needs: cargo, python3, GNU time (package `time`).
set -euo pipefail
cd "$(dirname "$0")/.."
FORMATS=${FORMATS:-sarif json text}
MIB=${MIB:-4}
[ -x /usr/bin/time ] || { echo "install GNU time (apt-get install time)" >&2; exit 2; }
cargo build --release --quiet
bin=$PWD/target/release/akto-connect
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$work" "$MIB" <<'PY'
import os, sys
work, mib = sys.argv[1], int(sys.argv[2])
n = mib * 1024 * 1024 // len("<base />\n") - 4
for i in range(6):
    d = os.path.join(work, "policy fragments", f"f{i}")
    os.makedirs(d)
    with open(os.path.join(d, "policy.xml"), "w") as f:
        f.write("<fragment>\n" + "<base />\n" * n + "</fragment>\n")
PY
echo "akto-connect $("$bin" --version | cut -d' ' -f2), $(nproc) cores, six ${MIB} MiB fragments"
for fmt in $FORMATS; do
  (cd "$work" && /usr/bin/time -f '%e %M' -o "$work/t" "$bin" lint --no-config --format "$fmt" -o "$work/report" . >/dev/null 2>&1) || true
  read -r t m < <(tail -n 1 "$work/t")
  size=$(stat -c %s "$work/report" 2>/dev/null || echo 0)
  printf '%-8s -o FILE   %6s s %6s MB peak, report %s MB\n' "$fmt" "$t" "$((m / 1024))" "$((size / 1024 / 1024))"
  rm -f "$work/report"
done
