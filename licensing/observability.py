"""Licensing's contribution to operations: licence seats bought and in use (scrape time, one query)."""

from operations.interface import GaugeMetricFamily, register_gauges

from .selectors import seats_in_use_total


def seat_gauges():
    totals = seats_in_use_total()
    seats = GaugeMetricFamily(
        "lyceum_licence_seats", "Seats of live (active or suspended) licences, by state.", labels=["state"]
    )
    seats.add_metric(["bought"], totals["seats"])
    seats.add_metric(["in_use"], totals["in_use"])
    yield seats
    yield GaugeMetricFamily("lyceum_licences_live", "Active or suspended licences.", value=totals["licences"])


def register() -> None:
    register_gauges("licensing", seat_gauges, exports=["lyceum_licence_seats", "lyceum_licences_live"])
