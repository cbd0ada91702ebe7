import pytest
from prometheus_client.parser import text_string_to_metric_families

from accounts.tests.factories import StaffUserFactory, VerifiedUserFactory
from billing.tests.support import test_purpose  # noqa: F401 - pytest fixture

METRICS_TOKEN = "metrics-token-for-the-tests-0123456789abcdef"


@pytest.fixture
def user(db):
    return VerifiedUserFactory()


@pytest.fixture
def staff_user(db):
    return StaffUserFactory()


def parse(text: str) -> dict[tuple, float]:
    """{(sample name, (sorted label pairs)): value} of a metrics page."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


class Scraper:
    def __init__(self, client):
        self.client = client

    def __call__(self) -> dict[tuple, float]:
        response = self.client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {METRICS_TOKEN}")
        assert response.status_code == 200, response.content
        return parse(response.content.decode())


@pytest.fixture
def scrape(client, settings):
    settings.METRICS_BEARER_TOKEN = METRICS_TOKEN
    return Scraper(client)


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)
