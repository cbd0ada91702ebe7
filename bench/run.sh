#!/usr/bin/env bash
# Marketplace benchmark (issues 6 and 20): seed 10,000 courses on PostgreSQL, serve the site with gunicorn exactly
# as the Procfile's `web` line does (production settings) and, beside it, the naive Django + DRF project of
# bench/reference on the same database; load both with wrk from this machine in interleaved rounds and print
# req/s, p50 and p99 of /healthz, the catalogue API, a search and a course page beside their naive peers, with
# each ratio's per-round values. See bench/README.md for the knobs. Both servers listen on 127.0.0.1 only, on
# random free ports in 20000-29999, and are stopped by PID on exit, whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=${PYTHON:-$ROOT/.venv/bin/python}
export PATH="$ROOT/.venv/bin:$PATH"  # the Procfile calls `gunicorn` from PATH

DURATION=${BENCH_DURATION:-10s}
THREADS=${BENCH_THREADS:-2}
CONNECTIONS=${BENCH_CONNECTIONS:-16}
HIGH_CONNECTIONS=${BENCH_HIGH_CONNECTIONS:-128}  # the p99 target at many connections; 0 skips that pass
ROUNDS=${BENCH_ROUNDS:-1}
WARMUP=${BENCH_WARMUP:-2s}
SEARCH_WORD=${BENCH_SEARCH:-python}
COURSE_SLUG=${BENCH_COURSE_SLUG:-bench-python-for-data-analysis}
# shellcheck source=bench/common.sh
source "$ROOT/bench/common.sh"
REFERENCE_PORT=${BENCH_REFERENCE_PORT:-$(free_port)}
[[ $REFERENCE_PORT != "$PORT" ]] || REFERENCE_PORT=$(free_port)

REFERENCE_URL="http://127.0.0.1:$REFERENCE_PORT"

GUNICORN_PID=""
REFERENCE_PID=""
cleanup() {
  local status=$?
  stop "$GUNICORN_PID"
  stop "$REFERENCE_PID"
  if [[ $status -ne 0 && $status -ne 3 ]]; then echo "benchmark failed (status $status); logs in $OUT" >&2; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for url in "$BASE" "$REFERENCE_URL"; do
  if curl -s -o /dev/null "$url/"; then
    echo "something already listens at $url; set BENCH_PORT / BENCH_REFERENCE_PORT" >&2
    exit 1
  fi
done

echo "== machine"
echo "$(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GB RAM"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (others' work on the machine skews absolute figures)"
cut -d' ' -f1-3 /proc/loadavg >"$OUT/load.start"
echo "$(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2), $("$PY" -m gunicorn --version 2>&1), $(psql --version 2>/dev/null || true)"

echo "== database ($DATABASE_URL): create, migrate, seed"
"$PY" bench/seed.py
"$PY" manage.py collectstatic --noinput --verbosity 0

WEB=$(sed -n 's/^web: *//p' Procfile)
echo "== serving Lyceum: $WEB  (127.0.0.1:$PORT, WEB_CONCURRENCY=$WEB_CONCURRENCY, $DJANGO_SETTINGS_MODULE)"
bash -c "exec $WEB" >"$OUT/gunicorn.log" 2>&1 &
GUNICORN_PID=$!
# The naive peer (bench/reference): only Django, DRF, psycopg and gunicorn, the same workers and database.
echo "== serving the reference: gunicorn bench.reference.wsgi (127.0.0.1:$REFERENCE_PORT, $WEB_CONCURRENCY sync workers)"
env -u PROMETHEUS_MULTIPROC_DIR DJANGO_SETTINGS_MODULE=bench.reference.settings \
  "$PY" -m gunicorn --workers "$WEB_CONCURRENCY" --bind "127.0.0.1:$REFERENCE_PORT" bench.reference.wsgi:application \
  >"$OUT/reference.log" 2>&1 &
REFERENCE_PID=$!
for _ in $(seq 1 60); do
  curl -sf -o /dev/null -H "$PROTO_HEADER" "$BASE/healthz" && curl -sf -o /dev/null "$REFERENCE_URL/healthz" && break
  kill -0 "$GUNICORN_PID" 2>/dev/null || { tail -20 "$OUT/gunicorn.log" >&2; exit 1; }
  kill -0 "$REFERENCE_PID" 2>/dev/null || { tail -20 "$OUT/reference.log" >&2; exit 1; }
  sleep 0.5
done

# Lyceum's endpoints and their naive peers (the reference's list stands in for the course page too).
declare -A URLS=(
  [healthz]="$BASE/healthz"
  [catalogue]="$BASE/api/v1/courses/"
  [search]="$BASE/api/v1/courses/?q=$SEARCH_WORD"
  [course_page]="$BASE/courses/$COURSE_SLUG/"
  [ref_json]="$REFERENCE_URL/healthz"
  [ref_list]="$REFERENCE_URL/api/courses/"
  [ref_search]="$REFERENCE_URL/api/courses/?q=$SEARCH_WORD"
)
# Each Lyceum endpoint runs right after its peer, so a ratio compares runs seconds apart.
ORDER=(ref_json healthz ref_list catalogue course_page ref_search search)
HIGH_ORDER=(ref_list healthz catalogue search course_page)

echo "== checking every endpoint answers 200, and a repeated request with its ETag 304"
for name in "${ORDER[@]}"; do
  code=$(curl -s -o "$OUT/$name.body" -D "$OUT/$name.headers" -w '%{http_code}' -H "$PROTO_HEADER" "${URLS[$name]}")
  if [[ $code != 200 ]]; then
    echo "${URLS[$name]} answered $code" >&2
    head -c 600 "$OUT/$name.body" >&2
    exit 1
  fi
done
for name in catalogue search course_page; do
  etag=$(sed -n 's/^[Ee][Tt][Aa][Gg]: *//p' "$OUT/$name.headers" | tr -d '\r')
  [[ -n $etag ]] || { echo "${URLS[$name]}: no ETag" >&2; exit 1; }
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "$PROTO_HEADER" -H "If-None-Match: $etag" "${URLS[$name]}")
  [[ $code == 304 ]] || { echo "${URLS[$name]} with If-None-Match: $etag answered $code, not 304" >&2; exit 1; }
done
"$PY" - "$OUT" "$SEARCH_WORD" <<'PY'
import json, sys
out, word = sys.argv[1], sys.argv[2]
total = json.load(open(f"{out}/catalogue.body"))["count"]
hits = json.load(open(f"{out}/search.body"))["count"]
peer_total = json.load(open(f"{out}/ref_list.body"))["count"]
peer_hits = json.load(open(f"{out}/ref_search.body"))["count"]
print(f"catalogue: {total} courses; search '{word}': {hits} matches ({hits / total:.0%})")
print(f"reference: {peer_total} courses; icontains '{word}': {peer_hits} matches")
if not hits:
    sys.exit("the search word matches nothing: the benchmark would measure an empty result")
if total != peer_total:
    sys.exit("Lyceum and the reference do not list the same courses")
PY

echo "== warm-up ($WARMUP per endpoint)"
for name in "${ORDER[@]}"; do
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" -H "$PROTO_HEADER" "${URLS[$name]}" >/dev/null
done

run() {  # run NAME CONNECTIONS ROUND
  local name=$1 connections=$2 round=$3
  echo "   round $round: $name  -c$connections  ${URLS[$name]}"
  wrk -t"$THREADS" -c"$connections" -d"$DURATION" --latency -H "$PROTO_HEADER" -s bench/report.lua \
    "${URLS[$name]}" >"$OUT/$name.c$connections.$round.txt"
}
echo "== load: wrk -t$THREADS -c$CONNECTIONS -d$DURATION (and -c$HIGH_CONNECTIONS for p99), $ROUNDS round(s)"
for round in $(seq 1 "$ROUNDS"); do
  for name in "${ORDER[@]}"; do run "$name" "$CONNECTIONS" "$round"; done
  if [[ $HIGH_CONNECTIONS -gt 0 ]]; then
    for name in "${HIGH_ORDER[@]}"; do run "$name" "$HIGH_CONNECTIONS" "$round"; done
  fi
  echo "   load average after round $round: $(cut -d' ' -f1-3 /proc/loadavg)"
done
cut -d' ' -f1-3 /proc/loadavg >"$OUT/load.end"

status=0
"$PY" bench/report.py "$OUT" "$CONNECTIONS" "$HIGH_CONNECTIONS" || status=$?
echo "wrk output and the gunicorn logs: $OUT"
exit "$status"
