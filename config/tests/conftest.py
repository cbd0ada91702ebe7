import pytest

from config.testing_s3 import s3_bucket_storage, s3_server  # noqa: F401 - pytest fixtures


@pytest.fixture
def test_urls(settings):
    """The real URLs plus test-only endpoints (a crashing view, an anonymous one, a list)."""
    settings.ROOT_URLCONF = "config.tests.urls"
