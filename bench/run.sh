#!/usr/bin/env bash
# Marketplace benchmark (issue 6): seed 10,000 courses on PostgreSQL, serve the site with gunicorn exactly as
# the Procfile's `web` line does (production settings), load it with wrk from this machine and print req/s,
# p50 and p99 for /healthz, the catalogue API, a catalogue search and a course page, then the target ratios.
# See bench/README.md for the knobs. gunicorn is stopped on exit, whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=${PYTHON:-$ROOT/.venv/bin/python}
export PATH="$ROOT/.venv/bin:$PATH"  # the Procfile calls `gunicorn` from PATH

DURATION=${BENCH_DURATION:-10s}
THREADS=${BENCH_THREADS:-2}
CONNECTIONS=${BENCH_CONNECTIONS:-16}
ROUNDS=${BENCH_ROUNDS:-1}
WARMUP=${BENCH_WARMUP:-2s}
SEARCH_WORD=${BENCH_SEARCH:-python}
COURSE_SLUG=${BENCH_COURSE_SLUG:-bench-python-for-data-analysis}
export PORT=${BENCH_PORT:-8765}
export WEB_CONCURRENCY=${WEB_CONCURRENCY:-3}
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/lyceum_bench}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/14}

command -v wrk >/dev/null || { echo "wrk is not installed (Debian/Ubuntu: apt-get install -y wrk)" >&2; exit 1; }
case $DATABASE_URL in postgres*|pgsql*) ;; *) echo "DATABASE_URL must point at PostgreSQL" >&2; exit 1 ;; esac

# Production settings, with safe local values for what prod.py requires. Fresh random secrets each run;
# the Stripe keys are test-mode placeholders (no page in the benchmark talks to Stripe).
# bench.settings is config.settings.prod plus the reference endpoint of bench/urls.py.
export DJANGO_SETTINGS_MODULE=bench.settings
SECRET_KEY=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(64))')
ALTCHA_HMAC_KEY=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(32))')
export SECRET_KEY ALTCHA_HMAC_KEY
export DEBUG=false
export ALLOWED_HOSTS=127.0.0.1,localhost
export SITE_URL=https://lyceum.bench.invalid
export STRIPE_SECRET_KEY=sk_test_LyceumBenchmark000000000
export STRIPE_PUBLISHABLE_KEY=pk_test_LyceumBenchmark000000000
export STRIPE_API_BASE=http://127.0.0.1:12111
export STRIPE_LIVE_MODE=false
export EMAIL_URL=consolemail://
unset SENTRY_DSN
# Every request comes from 127.0.0.1, so the per-IP API throttles would answer 429 after 100 requests:
# "off" lifts them for this process only (see _api_rate in config/settings/base.py; unset = the defaults).
export API_ANON_RATE=off API_USER_RATE=off

OUT=${BENCH_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/lyceum-bench.XXXXXX")}
mkdir -p "$OUT"
BASE="http://127.0.0.1:$PORT"
# TLS ends at the proxy in production; this header says so (SECURE_PROXY_SSL_HEADER), so no HTTPS redirect.
PROTO_HEADER="X-Forwarded-Proto: https"

GUNICORN_PID=""
cleanup() {
  local status=$?
  if [[ -n $GUNICORN_PID ]] && kill -0 "$GUNICORN_PID" 2>/dev/null; then
    kill -TERM "$GUNICORN_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$GUNICORN_PID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$GUNICORN_PID" 2>/dev/null || true
    wait "$GUNICORN_PID" 2>/dev/null || true
  fi
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
echo "$(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GB RAM"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (others' work on the machine skews absolute figures)"
echo "$(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2), $("$PY" -m gunicorn --version 2>&1), $(psql --version 2>/dev/null || true)"

echo "== database ($DATABASE_URL): create, migrate, seed"
"$PY" bench/seed.py
"$PY" manage.py collectstatic --noinput --verbosity 0

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
  [healthz]="$BASE/healthz"
  [bare_list]="$BASE/api/bench/bare-list/"
  [catalogue]="$BASE/api/v1/courses/"
  [search]="$BASE/api/v1/courses/?q=$SEARCH_WORD"
  [course_page]="$BASE/courses/$COURSE_SLUG/"
)
ORDER=(healthz bare_list catalogue search course_page)

echo "== checking every endpoint answers 200"
for name in "${ORDER[@]}"; do
  code=$(curl -s -o "$OUT/$name.body" -w '%{http_code}' -H "$PROTO_HEADER" "${URLS[$name]}")
  if [[ $code != 200 ]]; then
    echo "${URLS[$name]} answered $code" >&2
    head -c 600 "$OUT/$name.body" >&2
    exit 1
  fi
done
"$PY" - "$OUT" "$SEARCH_WORD" <<'PY'
import json, sys
out, word = sys.argv[1], sys.argv[2]
total = json.load(open(f"{out}/catalogue.body"))["count"]
hits = json.load(open(f"{out}/search.body"))["count"]
print(f"catalogue: {total} courses; search '{word}': {hits} matches ({hits / total:.0%})")
if not hits:
    sys.exit("the search word matches nothing: the benchmark would measure an empty result")
PY

echo "== warm-up ($WARMUP per endpoint)"
for name in "${ORDER[@]}"; do
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" -H "$PROTO_HEADER" "${URLS[$name]}" >/dev/null
done

echo "== load: wrk -t$THREADS -c$CONNECTIONS -d$DURATION, $ROUNDS round(s)"
for round in $(seq 1 "$ROUNDS"); do
  for name in "${ORDER[@]}"; do
    echo "   round $round: $name  ${URLS[$name]}"
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -H "$PROTO_HEADER" -s bench/report.lua \
      "${URLS[$name]}" >"$OUT/$name.$round.txt"
  done
done

status=0
"$PY" bench/report.py "$OUT" || status=$?
echo "wrk output and the gunicorn log: $OUT"
exit "$status"
