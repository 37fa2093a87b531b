"""A stand-in for `helm` that resolves chart versions as Helm does against a repository index.

usage: put this file on PATH as `helm` (a wrapper script); HELM_STANDIN_INDEX names a JSON file
{"chart": ["newest", ..., "oldest"]} (versions as the index lists them), HELM_STANDIN_LOG a file
that gets one line per call: the arguments, and `resolved CHART VERSION` for every chart
command. How Helm picks a version (helm pkg/repo ChartRepository / IndexFile.Get):
- `--version V` without a range operator is the constraint `=V`: an exact match; a
  pre-release such as 0.1.11-sha never matches 0.1.11;
- no `--version`: the newest version that is not a SemVer pre-release;
- `--devel` (ignored when `--version` is set): the newest version, pre-releases included.
Exits 1 with Helm's message when no version matches.
"""
import json
import os
import sys


def main():
    args = sys.argv[1:]
    log = open(os.environ["HELM_STANDIN_LOG"], "a")
    log.write("helm " + " ".join(args) + "\n")
    if args[:1] == ["repo"]:
        return 0
    chart = next((a for a in args if a.startswith("akto/")), None)
    if chart is None:
        return 0
    index = json.load(open(os.environ["HELM_STANDIN_INDEX"]))
    versions = index.get(chart.split("/", 1)[1])
    if versions is None:
        print(f"Error: chart \"{chart}\" not found in akto index", file=sys.stderr)
        return 1
    wanted = args[args.index("--version") + 1] if "--version" in args else None
    if wanted is not None:
        picked = wanted if wanted in versions else None
    elif "--devel" in args:
        picked = versions[0] if versions else None
    else:
        picked = next((v for v in versions if "-" not in v), None)
    if picked is None:
        print(f"Error: chart \"{chart}\" matching {wanted} not found in akto index", file=sys.stderr)
        return 1
    log.write(f"resolved {chart} {picked}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
