"""Writes one batch of money rows into the database at DATABASE_URL, through the real services: paid
payments and the course sales they fund (a Sale, its earnings entry, the instructor balance).

    DATABASE_URL=... python ops/backup/tests/drill_data.py LABEL COUNT

Each payment's description is "drill LABEL n", so a restore shows which batches it holds.
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

import django  # noqa: E402

django.setup()

import importlib  # noqa: E402

from django.apps import apps  # noqa: E402

from accounts.tests.factories import VerifiedUserFactory  # noqa: E402
from billing.tests.factories import SucceededPaymentFactory  # noqa: E402
from marketplace.services import earnings  # noqa: E402
from marketplace.tests.factories import InstructorFactory, PublishedCourseFactory  # noqa: E402


def write_batch(label: str, count: int) -> None:
    # The schema was copied without data: the revenue-share rules a migration seeds (idempotent).
    importlib.import_module("marketplace.migrations.0005_earnings").seed_share_rules(apps, None)
    for n in range(count):
        tag = f"{label}-{n}".lower()
        course = PublishedCourseFactory(
            title=f"Drill {label} course {n}",
            slug=f"drill-{tag}",
            instructor=InstructorFactory(email=f"instructor-{tag}@drill.example"),
            category__slug=f"drill-{tag}",
            category__name=f"Drill {label} {n}",
        )
        payment = SucceededPaymentFactory(
            user=VerifiedUserFactory(email=f"learner-{tag}@drill.example"),
            description=f"drill {label} {n}",
            reference=f"drill-{label}-{n}",
            amount=1000 + 100 * n,
            stripe_checkout_session_id=f"cs_drill_{label}_{n}",
            stripe_payment_intent_id=f"pi_drill_{label}_{n}",
            receipt_number=f"LYC-DRILL-{label}-{n}",
        )
        earnings.record_sale(payment, course)


if __name__ == "__main__":
    write_batch(sys.argv[1], int(sys.argv[2]))
