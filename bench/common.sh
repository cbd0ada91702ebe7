# Shared by bench/run.sh and bench/rewards_run.sh (sourced, after ROOT and PY are set): a free port (PORT, BENCH_PORT to
# choose), the production settings with safe local values, the output directory, and stopping a server by its PID.
free_port() {
  "$PY" - <<'PY'
import random, socket
for _ in range(200):
    port = random.randint(20000, 29999)
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
    print(port)
    break
PY
}

stop() {  # stop one server by its PID: TERM, up to 10 s, then KILL
  local pid=$1
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

export PORT=${BENCH_PORT:-$(free_port)}
export GUNICORN_BIND="127.0.0.1:$PORT"  # config/gunicorn.conf.py: the benchmark never listens beyond this machine

export WEB_CONCURRENCY=${WEB_CONCURRENCY:-3}
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/lyceum_bench}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/14}

command -v wrk >/dev/null || { echo "wrk is not installed (Debian/Ubuntu: apt-get install -y wrk)" >&2; exit 1; }
case $DATABASE_URL in postgres*|pgsql*) ;; *) echo "DATABASE_URL must point at PostgreSQL" >&2; exit 1 ;; esac

# Production settings, with safe local values for what prod.py requires. Fresh random secrets each run;
# the Stripe keys are test-mode placeholders (no page in the benchmark talks to Stripe).
export DJANGO_SETTINGS_MODULE=config.settings.prod
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
