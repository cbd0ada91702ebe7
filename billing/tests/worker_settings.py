"""Settings for the real Celery worker that test_tasks starts: the test settings with a broker, not eager,
and a "test" purpose whose fulfil hangs while BILLING_WORKER_DIR/hang exists (so the test can kill it)."""

import os
import time
from pathlib import Path

from billing import registry
from config.settings.test import *  # noqa: F403

CELERY_TASK_ALWAYS_EAGER = False
STRIPE_MAX_NETWORK_RETRIES = 0

_DIR = Path(os.environ.get("BILLING_WORKER_DIR", "/nonexistent"))


def _fulfil(payment):
    from django.db import transaction

    if (_DIR / "hang").exists():
        (_DIR / "started").write_text(str(os.getpid()))
        time.sleep(120)  # killed here, inside the fulfilment transaction

    def record():
        with open(_DIR / "fulfilled", "a") as log:
            log.write(f"{payment.pk}\n")

    transaction.on_commit(record)


registry.register_purpose("test", label="Test purchase", fulfil=_fulfil, revoke=lambda payment, refund: None)
