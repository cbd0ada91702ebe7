"""Hooks through which apps add scrape-time gauges and launch-check items, so operations imports no app.

From an AppConfig.ready():

    from operations.interface import register_gauges, register_launch_check, GaugeMetricFamily, Verdict

    def seat_gauges():                       # runs at each scrape: keep it to one or two queries
        family = GaugeMetricFamily("lyceum_licence_seats", "Licence seats by state.", labels=["state"])
        for state, n in Seat.objects.values_list("state").annotate(n=Count("pk")):
            family.add_metric([state], n)
        yield family

    register_gauges("licensing", seat_gauges, exports=["lyceum_licence_seats"])
    register_launch_check("ledgers.tokens", "Token ledger verifies", lambda: Verdict(ok, reason))

`exports` names the metrics the function yields (the dashboard check in CI reads them without a database;
a test compares them with a real scrape). A gauge function yields prometheus_client metric families; if it raises, its metrics are left out of
that scrape and `lyceum_metrics_collector_up{collector="<name>"}` is 0. A launch check returns a Verdict.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from prometheus_client.core import Metric


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str


@dataclass(frozen=True)
class LaunchCheck:
    name: str
    label: str
    run: Callable[[], Verdict]
    order: int


@dataclass(frozen=True)
class Gauges:
    name: str
    collect: Callable[[], Iterable[Metric]]
    exports: tuple[str, ...]


_gauges: dict[str, Gauges] = {}
_launch_checks: dict[str, LaunchCheck] = {}


def register_gauges(name: str, collect: Callable[[], Iterable[Metric]], *, exports: Iterable[str]) -> None:
    _gauges[name] = Gauges(name=name, collect=collect, exports=tuple(exports))


def gauge_collectors() -> dict[str, Gauges]:
    return dict(_gauges)


def register_launch_check(name: str, label: str, run: Callable[[], Verdict], *, order: int = 100) -> None:
    """Add (or replace, by name) an item of manage.py launch_check; items run by `order`, then name."""
    _launch_checks[name] = LaunchCheck(name=name, label=label, run=run, order=order)


def unregister_launch_check(name: str) -> None:
    _launch_checks.pop(name, None)


def launch_checks() -> list[LaunchCheck]:
    return sorted(_launch_checks.values(), key=lambda check: (check.order, check.name))
