"""Where a request's time goes: cProfile over N requests per endpoint, in process, with production settings.

Usage (the bench database seeded by bench/seed.py; the same variables as bench/run.sh):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lyceum_bench REDIS_URL=redis://127.0.0.1:6379/14 \
        python bench/profile_requests.py [--requests 300] [--top 25] [endpoint ...]

For each endpoint it prints the mean wall time per request, the time spent in SQL (a connection
execute_wrapper: statements and their total), and the cProfile functions with the most cumulative time,
grouped into middleware, view, serialization/templates and database. The Django test client goes through
the same handler and middleware as gunicorn's WSGI calls, without the socket and the access log.
"""

import argparse
import cProfile
import os
import pstats
import secrets
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ENDPOINTS = {
    "healthz": "/healthz",
    "catalogue": "/api/v1/courses/",
    "search": "/api/v1/courses/?q=python",
    "course_page": "/courses/bench-python-for-data-analysis/",
}


def production_environment() -> None:
    """The values bench/run.sh sets for config.settings.prod."""
    defaults = {
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALTCHA_HMAC_KEY": secrets.token_urlsafe(32),
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "SITE_URL": "https://lyceum.bench.invalid",
        "STRIPE_SECRET_KEY": "sk_test_LyceumBenchmark000000000",
        "STRIPE_PUBLISHABLE_KEY": "pk_test_LyceumBenchmark000000000",
        "STRIPE_LIVE_MODE": "false",
        "EMAIL_URL": "consolemail://",
        "API_ANON_RATE": "off",
        "API_USER_RATE": "off",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/lyceum_bench",
        "REDIS_URL": "redis://127.0.0.1:6379/14",
    }
    for name, value in defaults.items():
        os.environ.setdefault(name, value)
    os.environ.pop("SENTRY_DSN", None)
    os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)  # one process: its metrics in memory, no files


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--cold", action="store_true", help="clear the cache before every request")
    parser.add_argument("endpoints", nargs="*", default=list(ENDPOINTS))
    args = parser.parse_args()
    production_environment()

    import django

    django.setup()
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client

    client = Client(HTTP_X_FORWARDED_PROTO="https", HTTP_HOST="127.0.0.1")
    for name in args.endpoints:
        url = ENDPOINTS[name]
        for _ in range(20):  # warm: URL resolver, templates, connection
            assert client.get(url).status_code == 200, url
        sql = {"n": 0, "seconds": 0.0}

        def timed(execute, statement, params, many, context, sql=sql):
            start = time.perf_counter()
            try:
                return execute(statement, params, many, context)
            finally:
                sql["n"] += 1
                sql["seconds"] += time.perf_counter() - start

        profiler = cProfile.Profile()
        wall = 0.0
        with connection.execute_wrapper(timed):
            for _ in range(args.requests):
                if args.cold:
                    cache.clear()
                start = time.perf_counter()
                profiler.enable()
                client.get(url)
                profiler.disable()
                wall += time.perf_counter() - start
        n = args.requests
        print(
            f"\n=== {name} {url}: {wall / n * 1000:.2f} ms/request (profiled), "
            f"{sql['n'] / n:.1f} statements, {sql['seconds'] / n * 1000:.2f} ms SQL/request"
        )
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    main()
