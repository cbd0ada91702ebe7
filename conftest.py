import pytest

# The Stripe emulator fixtures are defined once, here: a second import in an app's conftest would
# start a second session emulator and point the SDK at the wrong one.
from billing.tests.support import emulator, stripe_emulator_server, stripe_webhooks  # noqa: F401 - pytest fixtures


def pytest_collection_modifyitems(config, items):
    """`postgres` and `redis` tests skip, saying why, when the run has no PostgreSQL or no Redis (the README's
    `make test` has neither); CI sets DATABASE_URL and REDIS_URL and runs them."""
    from django.conf import settings

    # Django's backend or a wrapper of it (django_prometheus.db.backends.postgresql).
    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith(".postgresql")
    needs = {
        "postgres": (on_postgres, "needs PostgreSQL: set DATABASE_URL to run it (CI does)"),
        "redis": (bool(settings.REDIS_URL), "needs Redis: set REDIS_URL to run it (CI does)"),
    }
    for item in items:
        for name, (available, why) in needs.items():
            marker = item.get_closest_marker(name)
            if marker is not None and not available:
                item.add_marker(pytest.mark.skip(reason=marker.kwargs.get("reason", why)))


# Rows the migrations seed that every part of the site relies on. A transactional test's flush removes them,
# so they are seeded again (get_or_create: a database that still has them is left as it is) before every test
# that uses the database, whichever app it belongs to.
REFERENCE_DATA = [
    ("subscriptions.migrations.0002_seed_tiers_and_features", "seed"),  # Free, Pro, Enterprise and features
    ("marketplace.migrations.0005_earnings", "seed_share_rules"),  # the default revenue share
    ("rewards.migrations.0002_seed", "seed"),  # earning rules, tier boosts, the programme, shop items
    ("support.migrations.0002_seed_sla_policies", "seed"),  # the default SLA policies and calendar
]


@pytest.fixture(autouse=True)
def _reference_data(request):
    names = set(request.fixturenames)
    if not (request.node.get_closest_marker("django_db") or names & {"db", "transactional_db", "live_server"}):
        return
    import importlib

    from django.apps import apps as django_apps

    marker = request.node.get_closest_marker("django_db")
    transactional = names & {"transactional_db", "live_server"} or (
        marker is not None and marker.kwargs.get("transaction")
    )
    request.getfixturevalue("transactional_db" if transactional else "db")
    for module, function in REFERENCE_DATA:
        getattr(importlib.import_module(module), function)(django_apps, None)


@pytest.fixture(autouse=True)
def _celery_join_flag():
    """Celery's "a result.get() here would block" flag is one process-wide global that each eager task sets and
    restores around itself. Eager tasks running at once in a live server's threads (a page and a webhook) can
    restore it in the wrong order and leave it set, after which every later `.delay().get()` in the process
    raises "Never call result.get() within a task!". Each test starts with it clear, as a fresh process would."""
    from celery._state import _set_task_join_will_block

    _set_task_join_will_block(False)
    yield


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle counters, CAPTCHA replay marks and feature caches must not leak between tests."""
    from django.core.cache import caches

    for cache in caches.all(initialized_only=False):
        cache.clear()
    yield
    for cache in caches.all(initialized_only=False):
        cache.clear()


@pytest.fixture
def client():
    """pytest-django's client, but staff signed in with force_login have used MFA (accounts/tests/support.py)."""
    from accounts.tests.support import MFAClient

    return MFAClient()
