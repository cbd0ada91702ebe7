"""Settings for the real Celery worker and beat the operations tests start: the test settings with a
broker (not eager) and a queue of the test's own, so nothing else on the broker is touched."""

import os

from config.settings.test import *  # noqa: F403

CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_DEFAULT_QUEUE = os.environ["OPERATIONS_TEST_QUEUE"]
# Only the heartbeat: the other beat jobs would reach for Stripe.
CELERY_BEAT_SCHEDULE = {"celery-heartbeat": {"task": "operations.tasks.heartbeat", "schedule": 60}}
