import pytest

# The Stripe emulator fixtures are defined once, here: a second import in an app's conftest would
# start a second session emulator and point the SDK at the wrong one.
from billing.tests.support import emulator, stripe_emulator_server, stripe_webhooks  # noqa: F401 - pytest fixtures


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle counters, CAPTCHA replay marks and feature caches must not leak between tests."""
    from django.core.cache import caches

    for cache in caches.all(initialized_only=False):
        cache.clear()
    yield
    for cache in caches.all(initialized_only=False):
        cache.clear()


def pytest_runtest_setup(item):
    """The `postgres` marker means what it says (pyproject): such a test is skipped on SQLite."""
    if item.get_closest_marker("postgres"):
        from django.conf import settings

        if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
            pytest.skip("needs PostgreSQL (row locks, concurrency)")
