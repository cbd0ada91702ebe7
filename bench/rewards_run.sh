#!/usr/bin/env bash
# Rewards benchmark (issue 14): the catalogue of bench/seed.py plus 100,000 learners in the token ledger and
# the leagues (bench/rewards_seed.py), served by gunicorn exactly as the Procfile's `web` line does
# (production settings, Redis leaderboards). wrk loads the catalogue API (the reference), the league page and
# GET /api/v1/rewards/leaderboards/global/ for a signed-in learner, then the weekly close of 100,000 members is
# timed. Targets: both rewards endpoints >= 0.8 x the catalogue's req/s, the close under 60 s.
# See bench/README.md ("Rewards") for the knobs. gunicorn is stopped on exit, whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=${PYTHON:-$ROOT/.venv/bin/python}
export PATH="$ROOT/.venv/bin:$PATH"  # the Procfile calls `gunicorn` from PATH

LEARNERS=${BENCH_LEARNERS:-100000}
DURATION=${BENCH_DURATION:-10s}
THREADS=${BENCH_THREADS:-2}
CONNECTIONS=${BENCH_CONNECTIONS:-16}
ROUNDS=${BENCH_ROUNDS:-1}
WARMUP=${BENCH_WARMUP:-2s}
SEARCH_WORD=${BENCH_SEARCH:-python}
COURSE_SLUG=${BENCH_COURSE_SLUG:-bench-python-for-data-analysis}
# shellcheck source=bench/common.sh
source "$ROOT/bench/common.sh"

GUNICORN_PID=""
cleanup() {
  local status=$?
  stop "$GUNICORN_PID"
  if [[ $status -ne 0 && $status -ne 3 ]]; then echo "benchmark failed (status $status); logs in $OUT" >&2; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if curl -s -o /dev/null "$BASE/"; then
  echo "something already listens on port $PORT; set BENCH_PORT" >&2
  exit 1
fi

echo "== machine"
echo "$(nproc) CPUs, load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (others' work skews absolute figures)"

echo "== database ($DATABASE_URL): create, migrate, seed the catalogue and $LEARNERS learners"
"$PY" bench/seed.py
"$PY" bench/rewards_seed.py --learners "$LEARNERS" --session-file "$OUT/session"
"$PY" manage.py collectstatic --noinput --verbosity 0
SESSION=$(cat "$OUT/session")
COOKIE="Cookie: sessionid=$SESSION"

WEB=$(sed -n 's/^web: *//p' Procfile)
echo "== serving: $WEB  (PORT=$PORT WEB_CONCURRENCY=$WEB_CONCURRENCY, $DJANGO_SETTINGS_MODULE)"
bash -c "exec $WEB" >"$OUT/gunicorn.log" 2>&1 &
GUNICORN_PID=$!
for _ in $(seq 1 60); do
  curl -sf -o /dev/null -H "$PROTO_HEADER" "$BASE/healthz" && break
  kill -0 "$GUNICORN_PID" 2>/dev/null || { tail -20 "$OUT/gunicorn.log" >&2; exit 1; }
  sleep 0.5
done

declare -A URLS=(
  [catalogue]="$BASE/api/v1/courses/"
  [league_page]="$BASE/rewards/league/"
  [global_board]="$BASE/api/v1/rewards/leaderboards/global/"
)
ORDER=(catalogue league_page global_board)

echo "== checking every endpoint answers 200 (the rewards ones signed in)"
for name in "${ORDER[@]}"; do
  code=$(curl -s -o "$OUT/$name.body" -w '%{http_code}' -H "$PROTO_HEADER" -H "$COOKIE" "${URLS[$name]}")
  if [[ $code != 200 ]]; then
    echo "${URLS[$name]} answered $code" >&2
    head -c 600 "$OUT/$name.body" >&2
    exit 1
  fi
done
grep -q '"me"' "$OUT/global_board.body" || { echo "the global board did not answer for a signed-in learner" >&2; exit 1; }
grep -q 'league-table' "$OUT/league_page.body" || { echo "the league page shows no group" >&2; exit 1; }

echo "== warm-up ($WARMUP per endpoint)"
for name in "${ORDER[@]}"; do
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" -H "$PROTO_HEADER" -H "$COOKIE" "${URLS[$name]}" >/dev/null
done

echo "== load: wrk -t$THREADS -c$CONNECTIONS -d$DURATION, $ROUNDS round(s)"
for round in $(seq 1 "$ROUNDS"); do
  for name in "${ORDER[@]}"; do
    echo "   round $round: $name  ${URLS[$name]}"
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -H "$PROTO_HEADER" -H "$COOKIE" -s bench/report.lua \
      "${URLS[$name]}" >"$OUT/$name.$round.txt"
  done
done

echo "== the weekly close ($LEARNERS members, in a transaction rolled back afterwards)"
"$PY" bench/rewards_seed.py --learners "$LEARNERS" --close | tee "$OUT/close.txt"

status=0
"$PY" bench/rewards_report.py "$OUT" || status=$?
echo "wrk output and the gunicorn log: $OUT"
exit "$status"
