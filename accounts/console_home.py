"""The operations console's home: today's figures, each linking to its list, and the dashboards.

Apps register what they contribute in their ``AppConfig.ready`` (accounts imports none of them):

    register_console_figure("revenue_today", "Revenue today", permission="billing.view_revenue",
                            value=lambda today: ..., url=lambda today: ...)
    register_console_link("Revenue dashboard", permission="billing.view_revenue", url_name="admin:billing_revenue")

A figure or link is shown to someone who holds its permission (superusers see all), so each staff group
sees what its work needs and nothing it could not open. Each figure costs one query.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.urls import reverse
from django.utils import timezone


@dataclass(frozen=True)
class ConsoleFigure:
    key: str
    label: str
    permission: str
    value: Callable[[datetime], str | int]  # given the start of today (local time), the figure as shown
    url: Callable[[datetime], str]  # the list behind the figure
    attention: bool = False  # a non-zero value needs someone (failures, waiting work)


@dataclass(frozen=True)
class ConsoleLink:
    label: str
    permission: str
    url_name: str


_FIGURES: dict[str, ConsoleFigure] = {}
_LINKS: dict[str, ConsoleLink] = {}


def register_console_figure(key: str, label: str, *, permission: str, value, url, attention: bool = False) -> None:
    _FIGURES[key] = ConsoleFigure(key, label, permission, value, url, attention)


def register_console_link(label: str, *, permission: str, url_name: str) -> None:
    _LINKS[url_name] = ConsoleLink(label, permission, url_name)


def registered_figures() -> list[ConsoleFigure]:
    return list(_FIGURES.values())


def start_of_today() -> datetime:
    return timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)


def home_for(user) -> dict:
    """What the console home shows this user: [{key, label, value, url, attention}], [{label, url}]."""
    today = start_of_today()
    figures = []
    for figure in _FIGURES.values():
        if not user.has_perm(figure.permission):
            continue
        value = figure.value(today)
        figures.append(
            {
                "key": figure.key,
                "label": figure.label,
                "value": value,
                "url": figure.url(today),
                "attention": figure.attention and value not in (0, "0"),
            }
        )
    links = [
        {"label": link.label, "url": reverse(link.url_name)}
        for link in _LINKS.values()
        if user.has_perm(link.permission)
    ]
    return {"console_figures": figures, "console_links": links}
