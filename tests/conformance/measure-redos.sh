#!/usr/bin/env bash
# Labels every pattern of redos_corpus.tsv by measurement on Microsoft's engine (Mono): how the
# time of IsMatch grows on inputs prefix + pump*n + suffix, n = 8 .. 4096 (1 s match timeout).
#   catastrophic: timed out by n = 64 (exponential), or time grows like n^2.6 or faster
#   quadratic:    grows like n^1.6 .. n^2.6
#   fast:         otherwise
# Writes redos_labels.tsv (pattern, label, exponent, raw timings). Timing is noisy: labels are
# measured once, reviewed and committed; tests compare the analysis with the stored labels.
#   bash tests/conformance/measure-redos.sh
set -euo pipefail
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mcs -out:"$work/timer.exe" redos_timer.cs >/dev/null
python3 - redos_corpus.tsv > "$work/input" <<'PY'
import base64, sys
b = lambda s: base64.b64encode(s.encode()).decode()
for line in open(sys.argv[1], encoding="utf-8").read().split("\n"):
    if not line or line.startswith("# "):
        continue
    f = line.split("\t")
    print("\t".join(b(x) for x in (f + ["", "", ""])[:4]))
PY
timeout 1200 mono "$work/timer.exe" < "$work/input" > "$work/timings"
python3 - redos_corpus.tsv "$work/timings" > redos_labels.tsv <<'PY'
import math, sys
pats = [l.split("\t")[0] for l in open(sys.argv[1], encoding="utf-8").read().split("\n") if l and not l.startswith("# ")]
print("# pattern\tlabel\tgrowth exponent\ttimings (n:ms, T = timeout)")
for p, t in zip(pats, open(sys.argv[2]).read().split("\n")):
    pts = [x.split(":") for x in t.split()]
    if any(ms == "T" and int(n) <= 64 for n, ms in pts):
        label, k = "catastrophic", "timeout"
    else:
        # A late timeout only says the last size was too big: grow from the sizes before it.
        pts = [(int(n), float(ms)) for n, ms in pts if ms != "T"]
        big = [(n, ms) for n, ms in pts if ms >= 2.0]
        if len(big) >= 2:
            (n1, t1), (n2, t2) = big[-2], big[-1]
            k = math.log(t2 / t1) / math.log(n2 / n1)
        else:
            k = 1.0
        label = "catastrophic" if k >= 2.6 else "quadratic" if k >= 1.6 else "fast"
        k = f"{k:.2f}"
    print(f"{p}\t{label}\t{k}\t{t}")
PY
grep -v '^# ' redos_labels.tsv | cut -f2 | sort | uniq -c
