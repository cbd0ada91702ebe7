import pytest


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle counters, CAPTCHA replay marks and feature caches must not leak between tests."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
