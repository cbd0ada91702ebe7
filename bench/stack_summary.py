"""Summarise a py-spy raw profile (`py-spy record --format raw`) into where a request's time goes.

Usage: python bench/stack_summary.py PROFILE.txt [PROFILE.txt ...]
Each sample's stack is charged to the first category found walking from the innermost frame outwards, so
time in psycopg under a template tag counts as SQL, and time in a middleware's own code counts as middleware.
Samples of an idle worker (waiting for a connection) are left out.
"""

import re
import sys
from collections import Counter
from pathlib import Path

# (category, pattern on a frame "function (file:line)"), tried from the innermost frame outwards.
CATEGORIES = [
    ("SQL: psycopg send, wait, read", re.compile(r"psycopg")),
    ("ORM: query building, model instances", re.compile(r"django/db/")),
    ("cache (Redis) round trips", re.compile(r"redis/|django_redis|django/core/cache")),
    ("markdown", re.compile(r"markdown/|rendering\.py")),
    ("templates", re.compile(r"django/template")),
    (
        "serialization (DRF fields, JSON)",
        re.compile(r"rest_framework/(serializers|fields|renderers|utils)|api/serializers|json/"),
    ),
    ("DRF dispatch (auth, throttles, negotiation, pagination)", re.compile(r"rest_framework/")),
    ("view and selector code", re.compile(r"marketplace/|config/health|config/sharedcache|config/api")),
    ("middleware", re.compile(r"middleware|csp/|whitenoise|axes/|allauth/|django_prometheus|sessions/|contrib/auth")),
    ("access log", re.compile(r"glogging")),
    ("Django handler, URL resolving, HttpResponse", re.compile(r"django/")),
    ("gunicorn and WSGI", re.compile(r"gunicorn")),
]
IDLE = re.compile(r"SyncWorker\.wait|select \(selectors|Arbiter\.sleep")


def summarise(path: Path) -> Counter:
    totals: Counter = Counter()
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        if IDLE.search(frames[-1]):
            continue
        for frame in reversed(frames):
            category = next((name for name, pattern in CATEGORIES if pattern.search(frame)), None)
            if category:
                totals[category] += int(count)
                break
        else:
            totals["other"] += int(count)
    return totals


def main(paths: list[str]) -> None:
    for name in paths:
        totals = summarise(Path(name))
        busy = sum(totals.values()) or 1
        print(f"\n{name}: {busy} busy samples")
        for category, samples in totals.most_common():
            print(f"  {samples / busy:6.1%}  {category}")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    main(sys.argv[1:])
