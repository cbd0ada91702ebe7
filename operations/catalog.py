"""The names of every metric series the site exports, and a check that dashboard queries only use them.

Known without a database: the process registry (django-prometheus and operations.metrics, the same in the
web, worker and beat processes) and the names each scrape-time collector declares (`exports`); a test
compares those declarations with a real scrape. Recording rules in ops/prometheus/rules add their names,
and Prometheus itself adds `up` and friends to every target.
"""

import json
import re
from pathlib import Path

import yaml
from django.conf import settings
from prometheus_client import REGISTRY

from . import collector, registry

PROMETHEUS_SERIES = {"up", "scrape_duration_seconds", "scrape_samples_scraped", "ALERTS", "ALERTS_FOR_STATE"}
SUFFIXES = {
    "counter": ("_total",),
    "histogram": ("_bucket", "_count", "_sum"),
    "summary": ("_count", "_sum", ""),
    "info": ("_info",),
    "gauge": ("",),
    "unknown": ("",),
}
PROMQL_WORDS = {
    "and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset",
    "inf", "nan", "start", "end", "atan2",
}  # fmt: skip


def ops_dir() -> Path:
    return Path(settings.BASE_DIR) / "ops"


def registry_names() -> set[str]:
    # django-prometheus creates its request metrics with the first middleware instance: do it now.
    from django_prometheus.middleware import Metrics

    Metrics.get_instance()
    names = set()
    for family in REGISTRY.collect():
        names.update(family.name + suffix for suffix in SUFFIXES.get(family.type, ("",)))
    return names


def declared_gauge_names() -> set[str]:
    names = set(collector.SELF)
    for gauges in {**collector.CORE, **registry.gauge_collectors()}.values():
        names.update(gauges.exports)
    return names


def recording_rule_names() -> set[str]:
    names = set()
    for path in sorted((ops_dir() / "prometheus" / "rules").glob("*.yml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            names.update(rule["record"] for rule in group["rules"] if "record" in rule)
    return names


def known_names() -> set[str]:
    return registry_names() | declared_gauge_names() | recording_rule_names() | PROMETHEUS_SERIES


_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
_BRACES = re.compile(r"\{[^}]*\}")
_RANGES = re.compile(r"\[[^\]]*\]")
_GROUPING = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_IDENT = re.compile(r"(?<![\w:.])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w:])(?!\s*\()")
_GRAFANA_VARS = re.compile(r"\$\{?[a-zA-Z_]\w*(?::\w+)?\}?")


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads (function names, keywords and labels left out)."""
    text = _GRAFANA_VARS.sub("1", expr)
    text = _STRINGS.sub('""', text)
    text = _BRACES.sub("", text)
    text = _RANGES.sub("", text)
    text = _GROUPING.sub("", text)
    text = re.sub(r"\b\d+(\.\d+)?(e[+-]?\d+)?\b", "", text)
    return {name for name in _IDENT.findall(text) if name.lower() not in PROMQL_WORDS}


def dashboard_queries(path: Path) -> list[tuple[str, str]]:
    """(panel title, expression) of every panel target in a Grafana dashboard JSON file."""
    board = json.loads(path.read_text())
    found = []

    def walk(panels):
        for panel in panels:
            walk(panel.get("panels", []))
            for target in panel.get("targets", []):
                if target.get("expr"):
                    found.append((panel.get("title", "?"), target["expr"]))

    walk(board.get("panels", []))
    return found


def check_dashboards(directory: Path | None = None) -> tuple[int, list[str]]:
    """(queries checked, problems): each dashboard panel query must read only exported metric names."""
    directory = directory or ops_dir() / "grafana" / "dashboards"
    known = known_names()
    checked, problems = 0, []
    for path in sorted(directory.glob("*.json")):
        queries = dashboard_queries(path)
        if not queries:
            problems.append(f"{path.name}: no panel queries")
        for title, expr in queries:
            checked += 1
            names = metric_names(expr)
            if not names:
                problems.append(f"{path.name} / {title}: the query reads no metric: {expr}")
            for name in sorted(names - known):
                problems.append(f"{path.name} / {title}: {name} is not exported by the site")
    return checked, problems
