#!/usr/bin/env bash
# Records Microsoft's verdict (Mono's System.Text.RegularExpressions) for every pattern of
# regex_corpus.txt into regex_corpus.expected. Run after editing the corpus; CI checks that the
# stored verdicts still match Mono, and that akto-connect's parser matches them.
#   bash tests/conformance/update-regex-expected.sh
set -euo pipefail
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mcs -out:"$work/oracle.exe" regex_oracle.cs >/dev/null
python3 - regex_corpus.txt > "$work/input" <<'PY'
import base64, sys
for line in open(sys.argv[1], encoding="utf-8").read().split("\n"):
    if line == "" or line.startswith("# "):
        continue
    if line.startswith("b64:"):
        print(line[4:])
    else:
        print(base64.b64encode(line.encode("utf-8")).decode())
PY
timeout 120 mono "$work/oracle.exe" < "$work/input" > regex_corpus.expected
echo "$(wc -l < regex_corpus.expected) verdicts written to regex_corpus.expected"
