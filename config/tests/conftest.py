import pytest


@pytest.fixture
def test_urls(settings):
    """The real URLs plus test-only endpoints (a crashing view, an anonymous one, a list)."""
    settings.ROOT_URLCONF = "config.tests.urls"
