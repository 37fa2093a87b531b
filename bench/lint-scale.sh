#!/usr/bin/env bash
# Benchmark: peak memory and time of `akto-connect lint` on a large tree, in every format,
# against `xmllint --noout` on the same files.
#
# The 14 well-formed policies of ../shared/corpus/apim-snippets (those xmllint accepts) are
# copied into COPIES folders (4,000 by default: 56,000 files, about 146 MB). Two of the 14 lack
# <base />, so 8,000 files have findings (plus the backend-override notes). Each command runs
# as a whole process RUNS times; the median wall time and the largest peak RSS (GNU time) are
# reported.
#
#   bash bench/lint-scale.sh                 # COPIES=4000 RUNS=3
#   COPIES=400 RUNS=7 bash bench/lint-scale.sh
#
# Needs: cargo, xmllint (libxml2-utils), GNU time (package `time`).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
COPIES=${COPIES:-4000}
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
for i in $(seq 1 "$COPIES"); do
  mkdir -p "$work/tree/d$i"
  cp "$work/src/"*.xml "$work/tree/d$i/"
done
n_files=$(find "$work/tree" -name '*.xml' | wc -l)
size=$(du -sb "$work/tree" | cut -f1)
find "$work/tree" -name '*.xml' | sort > "$work/list"

# One run: prints "seconds max_rss_kb cpu_seconds" (wall time from the nanosecond clock; CPU
# time is user + system, which a busy machine disturbs less than wall time).
measure() {
  local t0 t1
  t0=$(date +%s%N)
  /usr/bin/time -f '%M %U %S' -o "$work/t" "$@" >/dev/null 2>"$work/err" || true
  t1=$(date +%s%N)
  echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }') $(tail -n 1 "$work/t" | awk '{ printf "%d %.2f", $1, $2 + $3 }')"
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
report() { # name file
  local t rss cpu
  t=$(cut -d' ' -f1 "$2" | median)
  rss=$(cut -d' ' -f2 "$2" | sort -n | tail -1)
  cpu=$(cut -d' ' -f3 "$2" | median)
  printf '%-44s %8s s wall  %6s s CPU  peak RSS %7d KiB\n' "$1" "$t" "$cpu" "$rss"
}

# Warm the page cache once.
xargs cat < "$work/list" >/dev/null

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
echo "files: $n_files ($n_src well-formed corpus policies x $COPIES), $((size / 1024)) KiB; runs: $RUNS"
for format in text json sarif github; do
  : > "$work/m"
  for r in $(seq 1 "$RUNS"); do
    measure "$bin" lint --no-config --format "$format" "$work/tree" >> "$work/m"
  done
  report "akto-connect lint --format $format DIR" "$work/m"
done
: > "$work/m"
for r in $(seq 1 "$RUNS"); do
  measure sh -c "xargs xmllint --noout < '$work/list'" >> "$work/m"
done
report "xmllint --noout (same files, via xargs)" "$work/m"
echo "goals: lint peak RSS <= 65536 KiB in every format; lint time <= xmllint time"
