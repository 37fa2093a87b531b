#!/usr/bin/env bash
# Benchmark: `akto-connect lint --format json DIR` against `xmllint --noout` on the same files.
#
# The 14 well-formed policies of ../shared/corpus/apim-snippets (those xmllint accepts) are
# copied into 400 folders (5,600 files, about 14 MB). Each command runs as a whole process,
# RUNS times; the median wall time is reported, and peak RSS from GNU time.
#
#   bash bench/lint-vs-xmllint.sh            # RUNS=7 by default
#   RUNS=15 bash bench/lint-vs-xmllint.sh
#
# Needs: cargo, xmllint (libxml2-utils), GNU time (package `time`).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-7}
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
n_src=$(ls "$work/src" | wc -l)
for i in $(seq 1 400); do
  mkdir -p "$work/tree/d$i"
  cp "$work/src/"*.xml "$work/tree/d$i/"
done
n_files=$(find "$work/tree" -name '*.xml' | wc -l)
size=$(du -sb "$work/tree" | cut -f1)
find "$work/tree" -name '*.xml' | sort > "$work/list"

# One run: prints "seconds max_rss_kb" (wall time from the nanosecond clock).
measure() {
  local t0 t1
  t0=$(date +%s%N)
  /usr/bin/time -f '%M' -o "$work/t" "$@" >/dev/null 2>"$work/err" || true
  t1=$(date +%s%N)
  echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }') $(tail -n 1 "$work/t")"
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# Warm the page cache once.
cat $(cat "$work/list") >/dev/null

: > "$work/lint"; : > "$work/xml"
for r in $(seq 1 "$RUNS"); do
  measure "$bin" lint --no-config --format json "$work/tree" >> "$work/lint"
  measure sh -c "xargs xmllint --noout < '$work/list'" >> "$work/xml"
done
lint_t=$(cut -d' ' -f1 "$work/lint" | median)
xml_t=$(cut -d' ' -f1 "$work/xml" | median)
lint_rss=$(cut -d' ' -f2 "$work/lint" | sort -n | tail -1)
xml_rss=$(cut -d' ' -f2 "$work/xml" | sort -n | tail -1)
ratio=$(awk -v a="$lint_t" -v b="$xml_t" 'BEGIN { printf "%.2f", a / b }')

echo "files: $n_files ($n_src well-formed corpus policies x 400), $((size / 1024)) KiB"
echo "runs: $RUNS, median wall time, whole process"
printf '%-40s %8s s  peak RSS %6d KiB\n' "akto-connect lint --format json DIR" "$lint_t" "$lint_rss"
printf '%-40s %8s s  peak RSS %6d KiB\n' "xmllint --noout (same files)" "$xml_t" "$xml_rss"
echo "ratio lint / xmllint: $ratio (goal <= 1.0); lint peak RSS goal <= 65536 KiB"
