"""Marketplace's figures on the console home (accounts.console_home): work waiting and payouts failing."""

from urllib.parse import urlencode

from django.urls import reverse

from accounts.interface import register_console_figure

from . import selectors
from .models import Course, Payout, RefundRequest


def _list(url_name: str, **filters) -> str:
    return f"{reverse(url_name)}?{urlencode(filters)}"


def register() -> None:
    register_console_figure(
        "refund_requests_waiting",
        "Refund requests waiting",
        permission="marketplace.change_refundrequest",
        value=lambda today: selectors.waiting_refund_request_count(),
        url=lambda today: _list(
            "admin:marketplace_refundrequest_changelist", status__exact=RefundRequest.Status.PENDING
        ),
        attention=True,
    )
    register_console_figure(
        "courses_in_review",
        "Courses in review",
        permission="marketplace.review_course",
        value=lambda today: selectors.courses_in_review_count(),
        url=lambda today: _list("admin:marketplace_course_changelist", status__exact=Course.Status.IN_REVIEW),
        attention=True,
    )
    register_console_figure(
        "payouts_failing",
        "Payouts failing",
        permission="marketplace.change_payout",
        value=lambda today: selectors.failing_payout_count(),
        url=lambda today: _list("admin:marketplace_payout_changelist", status__exact=Payout.Status.FAILED),
        attention=True,
    )
