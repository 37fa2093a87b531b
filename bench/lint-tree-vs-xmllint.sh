#!/usr/bin/env bash
# Benchmark: `akto-connect lint` on whole APIOps trees (every rule on, effective policies judged)
# against `xmllint --noout` on the same files.
#
# Trees of about 5,600 and 56,000 policies are built from the 14 well-formed policies of
# ../shared/corpus/apim-snippets: a global policy, 10 products (apis.json), 10 fragments, and
# APIs of one API policy and 9 operation policies each. Each command runs as a whole process,
# RUNS times; median wall time and peak RSS (GNU time) are reported.
#
#   bash bench/lint-tree-vs-xmllint.sh            # RUNS=5 by default
#   SIZES="5600" bash bench/lint-tree-vs-xmllint.sh
#
# Needs: cargo, xmllint (libxml2-utils), GNU time (package `time`).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
SIZES=${SIZES:-"5600 56000"}
corpus=../shared/corpus/apim-snippets
command -v xmllint >/dev/null || { echo "install libxml2-utils" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "install GNU time (apt-get install time)" >&2; exit 2; }

cargo build --release --quiet
bin=$PWD/target/release/akto-connect

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src"
for f in "$corpus"/*.xml; do
  if xmllint --noout "$f" 2>/dev/null; then cp "$f" "$work/src/"; fi
done
mapfile -t src < <(ls "$work/src"/*.xml)
# Every rule on, regex-slow (off by default) included.
printf '[rules]\nregex-slow = "warning"\n' > "$work/akto-connect.toml"

build_tree() { # DIR POLICIES
  local dir=$1 n=$2 apis i p o k=0
  apis=$(( (n - 21) / 10 ))
  mkdir -p "$dir"
  cp "${src[0]}" "$dir/policy.xml"
  for p in $(seq 1 10); do
    mkdir -p "$dir/products/p$p" "$dir/policy fragments/f$p"
    cp "${src[$(( p % ${#src[@]} ))]}" "$dir/products/p$p/policy.xml"
    printf '<fragment>\n    <set-header name="X-F%d" exists-action="override"><value>1</value></set-header>\n</fragment>\n' "$p" \
      > "$dir/policy fragments/f$p/policy.xml"
  done
  for p in $(seq 1 10); do
    seq 1 "$apis" | awk -v p="$p" 'BEGIN { printf "[" } $1 % 10 == p % 10 { printf "%s\"api%d\"", (n++ ? ", " : ""), $1 } END { print "]" }' \
      > "$dir/products/p$p/apis.json"
  done
  for i in $(seq 1 "$apis"); do
    mkdir -p "$dir/apis/api$i"
    cp "${src[$(( k++ % ${#src[@]} ))]}" "$dir/apis/api$i/policy.xml"
    for o in $(seq 1 9); do
      mkdir -p "$dir/apis/api$i/operations/op$o"
      cp "${src[$(( k++ % ${#src[@]} ))]}" "$dir/apis/api$i/operations/op$o/policy.xml"
    done
  done
}

measure() {
  local t0 t1
  t0=$(date +%s%N)
  /usr/bin/time -f '%M' -o "$work/t" "$@" >/dev/null 2>"$work/err" || true
  t1=$(date +%s%N)
  echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }') $(tail -n 1 "$work/t")"
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

for n in $SIZES; do
  tree="$work/tree$n"
  build_tree "$tree" "$n"
  find "$tree" -name '*.xml' | sort > "$work/list"
  files=$(wc -l < "$work/list")
  size=$(du -sb "$tree" | cut -f1)
  xargs -d '\n' cat < "$work/list" >/dev/null
  : > "$work/lint"; : > "$work/xml"
  for r in $(seq 1 "$RUNS"); do
    measure "$bin" lint --config "$work/akto-connect.toml" --format json "$tree" >> "$work/lint"
    measure sh -c "xargs -d '\n' xmllint --noout < '$work/list'" >> "$work/xml"
  done
  "$bin" lint --config "$work/akto-connect.toml" --format json "$tree" > "$work/report.json" || true
  findings=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["findings"]))' "$work/report.json")
  lint_t=$(cut -d' ' -f1 "$work/lint" | median)
  xml_t=$(cut -d' ' -f1 "$work/xml" | median)
  lint_rss=$(cut -d' ' -f2 "$work/lint" | sort -n | tail -1)
  xml_rss=$(cut -d' ' -f2 "$work/xml" | sort -n | tail -1)
  ratio=$(awk -v a="$lint_t" -v b="$xml_t" 'BEGIN { printf "%.2f", a / b }')
  echo "tree: $files policies, $((size / 1024)) KiB, $findings findings; runs: $RUNS"
  printf '  %-44s %8s s  peak RSS %7d KiB\n' "akto-connect lint (all rules, tree)" "$lint_t" "$lint_rss"
  printf '  %-44s %8s s  peak RSS %7d KiB\n' "xmllint --noout (same files)" "$xml_t" "$xml_rss"
  echo "  ratio lint / xmllint: $ratio (goal <= 1.0); lint peak RSS goal <= 65536 KiB"
done
