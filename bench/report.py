"""Read the wrk results bench/run.sh collected and print Lyceum beside the naive reference, with the targets.

Usage: python bench/report.py RESULTS_DIR [CONNECTIONS [HIGH_CONNECTIONS]]
RESULTS_DIR holds one `<endpoint>.c<connections>.<round>.txt` per wrk run (wrk's output with bench/report.lua's
BENCH_RESULT line). Each endpoint's figures are medians over its rounds; each ratio is the median of the
per-round ratios (the runs of one round are seconds apart, so they share the machine's load), printed with
the per-round values. Exit status: 0 when every target of issue 20 is met, 3 when one is missed, 2 when a run
had error responses or no result.
"""

import json
import statistics
import sys
from pathlib import Path

# (Lyceum endpoint, label, its naive peer, minimum ratio): issue 20.
PAIRS = [
    ("healthz", "`/healthz` vs a plain JSON view", "ref_json", 0.7),
    ("catalogue", "catalogue API page 1 vs naive list", "ref_list", 1.5),
    ("search", "search vs naive `icontains`", "ref_search", 3.0),
    ("course_page", "course page vs naive list", "ref_list", 1.0),
]
OWN = [("search", "catalogue", 0.9)]  # search >= 0.9x Lyceum's own catalogue
P99_PEER = "ref_list"  # every Lyceum endpoint's p99 <= the naive list's at CONNECTIONS, <= 1.5x at HIGH
HIGH_P99_FACTOR = 1.5


def read_result(path: Path) -> dict:
    for line in path.read_text().splitlines():
        if line.startswith("BENCH_RESULT "):
            result = json.loads(line.removeprefix("BENCH_RESULT "))
            result["rps"] = result["requests"] / (result["duration_us"] / 1_000_000)
            return result
    raise SystemExit(f"{path}: no BENCH_RESULT line (did wrk run?)\n{path.read_text()}")


def collect(results_dir: Path, connections: int, problems: list[str]) -> dict[str, dict]:
    figures: dict[str, dict] = {}
    names = sorted({p.name.split(".")[0] for p in results_dir.glob(f"*.c{connections}.*.txt")})
    for name in names:
        paths = sorted(results_dir.glob(f"{name}.c{connections}.*.txt"), key=lambda p: int(p.name.split(".")[2]))
        runs = [read_result(path) for path in paths]
        for run in runs:
            if run["status_errors"] or run["timeouts"] or run["socket_errors"]:
                problems.append(
                    f"{name} -c{connections}: {run['status_errors']} error responses, {run['timeouts']} timeouts, "
                    f"{run['socket_errors']} socket errors"
                )
        figures[name] = {
            "rps": statistics.median(r["rps"] for r in runs),
            "rps_by_round": [r["rps"] for r in runs],
            "p50_ms": statistics.median(r["p50_us"] for r in runs) / 1000,
            "p99_ms": statistics.median(r["p99_us"] for r in runs) / 1000,
            "requests": sum(r["requests"] for r in runs),
        }
    return figures


def ratio(figures: dict, numerator: str, denominator: str) -> tuple[float, list[float]]:
    a, b = figures[numerator]["rps_by_round"], figures[denominator]["rps_by_round"]
    rounds = [x / y for x, y in zip(a, b, strict=True)]
    return statistics.median(rounds), rounds


def main(results_dir: Path, connections: int, high: int) -> int:
    problems: list[str] = []
    low = collect(results_dir, connections, problems)
    many = collect(results_dir, high, problems) if high else {}
    if not low:
        print("no results", file=sys.stderr)
        return 2
    missed: list[str] = []

    print(f"\n{'endpoint':<14} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'requests':>9}   (-c{connections})")
    for name, row in low.items():
        print(f"{name:<14} {row['rps']:>9.1f} {row['p50_ms']:>8.1f} {row['p99_ms']:>8.1f} {row['requests']:>9}")
    if many:
        print(f"\n{'endpoint':<14} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'requests':>9}   (-c{high})")
        for name, row in many.items():
            print(f"{name:<14} {row['rps']:>9.1f} {row['p50_ms']:>8.1f} {row['p99_ms']:>8.1f} {row['requests']:>9}")

    peer_p99 = low.get(P99_PEER, {}).get("p99_ms")
    peer_p99_high = many.get(P99_PEER, {}).get("p99_ms")
    print(
        f"\n| endpoint | Lyceum req/s | naive peer req/s | ratio (per round) | target | p99 Lyceum / peer -c{connections} ms"
        + (f" | p99 Lyceum / naive list -c{high} ms |" if many else " |")
    )
    print("|---|---|---|---|---|---|" + ("---|" if many else ""))
    for name, label, peer, minimum in PAIRS:
        if name not in low or peer not in low:
            continue
        value, rounds = ratio(low, name, peer)
        if value < minimum:
            missed.append(f"{name}/{peer} {value:.2f} < {minimum}")
        per_round = " ".join(f"{r:.2f}" for r in rounds)
        row = (
            f"| {label} | {low[name]['rps']:,.0f} | {low[peer]['rps']:,.0f} | {value:.2f} ({per_round}) | "
            f"≥ {minimum} {'ok' if value >= minimum else 'MISSED'} | {low[name]['p99_ms']:.0f} / {low[peer]['p99_ms']:.0f} |"
        )
        if many:
            mine = many.get(name, {}).get("p99_ms")
            row += f" {mine:.0f} / {peer_p99_high:.0f} |" if mine is not None and peer_p99_high else " – |"
        print(row)
    for numerator, denominator, minimum in OWN:
        if numerator in low and denominator in low:
            value, rounds = ratio(low, numerator, denominator)
            if value < minimum:
                missed.append(f"{numerator}/{denominator} {value:.2f} < {minimum}")
            per_round = " ".join(f"{r:.2f}" for r in rounds)
            verdict = "ok" if value >= minimum else "MISSED"
            print(
                f"\n{numerator} / Lyceum's own {denominator}: {value:.2f} ({per_round})  target ≥ {minimum} {verdict}"
            )

    for name, *_ in PAIRS:
        if name in low and peer_p99 is not None and low[name]["p99_ms"] > peer_p99:
            missed.append(f"p99 {name} -c{connections} {low[name]['p99_ms']:.0f} ms > naive list {peer_p99:.0f} ms")
        if name in many and peer_p99_high and many[name]["p99_ms"] > HIGH_P99_FACTOR * peer_p99_high:
            missed.append(
                f"p99 {name} -c{high} {many[name]['p99_ms']:.0f} ms > {HIGH_P99_FACTOR} x naive list {peer_p99_high:.0f} ms"
            )
    for what in ("start", "end"):
        path = results_dir / f"load.{what}"
        if path.exists():
            print(f"load average at {what}: {path.read_text().strip()}")
    for item in missed:
        print(f"missed: {item}")
    for problem in problems:
        print(f"problem: {problem}", file=sys.stderr)
    if problems:
        return 2
    return 3 if missed else 0


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3, 4):
        raise SystemExit(__doc__)
    arguments = [int(a) for a in sys.argv[2:]]
    sys.exit(main(Path(sys.argv[1]), *(arguments + [16, 128][len(arguments) :])))
