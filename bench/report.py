"""Read the wrk results bench/run.sh collected and print req/s, p50, p99 and the target ratios.

Usage: python bench/report.py RESULTS_DIR
RESULTS_DIR holds one `<endpoint>.<round>.txt` per wrk run (wrk's output with bench/report.lua's BENCH_RESULT
line). With several rounds each endpoint's figures are the median over its rounds, and each ratio is the
median of the per-round ratios (the runs of one round are close in time, so they share the machine's load).
Exit status: 0 when both targets are met, 3 when one is missed, 2 when a run had error responses or no result.
"""

import json
import statistics
import sys
from pathlib import Path

ENDPOINTS = ["healthz", "bare_list", "catalogue", "search", "course_page"]
LABELS = {
    "healthz": "/healthz",
    "bare_list": "reference: bare DRF list",
    "catalogue": "catalogue API, page 1",
    "search": "catalogue API search",
    "course_page": "course page",
}
# (numerator, denominator, minimum): from issue 6.
TARGETS = [("catalogue", "healthz", 0.12), ("search", "catalogue", 0.8)]


def read_result(path: Path) -> dict:
    for line in path.read_text().splitlines():
        if line.startswith("BENCH_RESULT "):
            result = json.loads(line.removeprefix("BENCH_RESULT "))
            result["rps"] = result["requests"] / (result["duration_us"] / 1_000_000)
            return result
    raise SystemExit(f"{path}: no BENCH_RESULT line (did wrk run?)\n{path.read_text()}")


def round_ratio(numerator: dict, denominator: dict) -> tuple[float, str]:
    """The median of the per-round ratios: runs next to each other in time share the machine's load best."""
    ratios = [a / b for a, b in zip(numerator["rps_by_round"], denominator["rps_by_round"], strict=True)]
    detail = "  rounds: " + ", ".join(f"{r:.3f}" for r in ratios) if len(ratios) > 1 else ""
    return statistics.median(ratios), detail


def main(results_dir: Path) -> int:
    figures: dict[str, dict] = {}
    problems: list[str] = []
    for name in ENDPOINTS:
        runs = [read_result(path) for path in sorted(results_dir.glob(f"{name}.*.txt"))]
        if not runs:
            problems.append(f"{name}: no result")
            continue
        for run in runs:
            if run["status_errors"] or run["timeouts"]:
                problems.append(f"{name}: {run['status_errors']} error responses, {run['timeouts']} timeouts")
        figures[name] = {
            "rps": statistics.median(r["rps"] for r in runs),
            "rps_by_round": [r["rps"] for r in runs],
            "p50_ms": statistics.median(r["p50_us"] for r in runs) / 1000,
            "p99_ms": statistics.median(r["p99_us"] for r in runs) / 1000,
            "requests": sum(r["requests"] for r in runs),
            "socket_errors": sum(r["socket_errors"] for r in runs),
            "rounds": len(runs),
        }

    print(f"\n{'endpoint':<24} {'req/s':>9} {'p50 ms':>9} {'p99 ms':>9} {'requests':>9}")
    for name, row in figures.items():
        print(f"{LABELS[name]:<24} {row['rps']:>9.1f} {row['p50_ms']:>9.1f} {row['p99_ms']:>9.1f} {row['requests']:>9}")
    missed = False
    print()
    for numerator, denominator, minimum in TARGETS:
        if numerator not in figures or denominator not in figures:
            continue
        ratio, rounds = round_ratio(figures[numerator], figures[denominator])
        verdict = "ok" if ratio >= minimum else "MISSED"
        missed |= ratio < minimum
        print(f"ratio {numerator}/{denominator}: {ratio:.3f}  (target >= {minimum}) {verdict}{rounds}")
    if "bare_list" in figures and "healthz" in figures:
        reference, rounds = round_ratio(figures["bare_list"], figures["healthz"])
        print(f"reference bare_list/healthz: {reference:.3f}  (a bare DRF paginated list on this machine){rounds}")
    for name, row in figures.items():
        if row["socket_errors"]:
            print(f"note: {name}: {row['socket_errors']} socket errors (connect/read/write)", file=sys.stderr)
    for problem in problems:
        print(f"problem: {problem}", file=sys.stderr)
    if problems:
        return 2
    return 3 if missed else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    sys.exit(main(Path(sys.argv[1])))
