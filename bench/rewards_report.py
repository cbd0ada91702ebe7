"""Read the wrk results bench/rewards_run.sh collected and print req/s, p50, p99, the target ratios and the
weekly close time (issue 14: both rewards endpoints >= 0.8 x the catalogue API, the close under 60 s).

Usage: python bench/rewards_report.py RESULTS_DIR
RESULTS_DIR holds one `<endpoint>.<round>.txt` per wrk run (with bench/report.lua's BENCH_RESULT line) and
close.txt. Each ratio is the median of the per-round ratios. Exit status: 0 when every target is met, 3 when
one is missed, 2 when a run had error responses or no result.
"""

import json
import re
import statistics
import sys
from pathlib import Path

ENDPOINTS = {
    "catalogue": "catalogue API, page 1",
    "league_page": "league page (signed in)",
    "global_board": "global leaderboard API",
}
TARGETS = [("league_page", "catalogue", 0.8), ("global_board", "catalogue", 0.8)]
CLOSE_LIMIT = 60.0


def read_result(path: Path) -> dict:
    for line in path.read_text().splitlines():
        if line.startswith("BENCH_RESULT "):
            result = json.loads(line.removeprefix("BENCH_RESULT "))
            result["rps"] = result["requests"] / (result["duration_us"] / 1_000_000)
            return result
    raise SystemExit(f"{path}: no BENCH_RESULT line (did wrk run?)\n{path.read_text()}")


def main(results_dir: Path) -> int:
    figures, problems = {}, []
    for name in ENDPOINTS:
        runs = [read_result(p) for p in sorted(results_dir.glob(f"{name}.*.txt"))]
        if not runs:
            problems.append(f"{name}: no result")
            continue
        for run in runs:
            if run["status_errors"] or run["timeouts"]:
                problems.append(f"{name}: {run['status_errors']} error responses, {run['timeouts']} timeouts")
        figures[name] = {
            "rps": statistics.median(r["rps"] for r in runs),
            "by_round": [r["rps"] for r in runs],
            "p50": statistics.median(r["p50_us"] for r in runs) / 1000,
            "p99": statistics.median(r["p99_us"] for r in runs) / 1000,
            "requests": sum(r["requests"] for r in runs),
        }
    print(f"\n{'endpoint':<26} {'req/s':>9} {'p50 ms':>9} {'p99 ms':>9} {'requests':>9}")
    for name, row in figures.items():
        print(f"{ENDPOINTS[name]:<26} {row['rps']:>9.1f} {row['p50']:>9.1f} {row['p99']:>9.1f} {row['requests']:>9}")
    missed = False
    for numerator, denominator, minimum in TARGETS:
        if numerator in figures and denominator in figures:
            ratios = [
                a / b for a, b in zip(figures[numerator]["by_round"], figures[denominator]["by_round"], strict=True)
            ]
            ratio = statistics.median(ratios)
            missed |= ratio < minimum
            rounds = "  rounds: " + ", ".join(f"{r:.3f}" for r in ratios) if len(ratios) > 1 else ""
            print(
                f"ratio {numerator}/{denominator}: {ratio:.3f}  (target >= {minimum}) {'ok' if ratio >= minimum else 'MISSED'}{rounds}"
            )
    close = results_dir / "close.txt"
    match = re.search(r"([0-9.]+) s", close.read_text()) if close.exists() else None
    if match is None:
        problems.append("the weekly close was not timed")
    else:
        seconds = float(match.group(1))
        missed |= seconds >= CLOSE_LIMIT
        print(
            f"weekly close: {seconds:.1f} s  (target < {CLOSE_LIMIT:.0f} s) {'ok' if seconds < CLOSE_LIMIT else 'MISSED'}"
        )
    for problem in problems:
        print(f"problem: {problem}", file=sys.stderr)
    return 2 if problems else 3 if missed else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    sys.exit(main(Path(sys.argv[1])))
