"""The monitoring configuration in ops/: every alert has a runbook that exists and unit tests that make it
fire and keep it quiet; dashboards query only metrics the site exports. (promtool and amtool themselves
run in CI through ops/check.)"""

import json
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from operations.catalog import check_dashboards, declared_gauge_names, metric_names

OPS = Path(settings.BASE_DIR) / "ops"
RUNBOOK_BASE = "https://github.com/lyceum-learning/lyceum/blob/main/"


def alert_rules() -> list[dict]:
    rules = []
    for path in sorted((OPS / "prometheus" / "rules").glob("*.yml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            rules += [rule for rule in group["rules"] if "alert" in rule]
    return rules


def test_every_alert_has_a_severity_a_summary_and_a_runbook_that_exists():
    rules = alert_rules()
    assert len(rules) >= 20
    for rule in rules:
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}, rule["alert"]
        assert rule["annotations"]["summary"] and rule["annotations"]["description"], rule["alert"]
        url = rule["annotations"]["runbook_url"]
        assert url.startswith(RUNBOOK_BASE + "docs/runbooks/"), (rule["alert"], url)
        runbook = Path(settings.BASE_DIR) / url.removeprefix(RUNBOOK_BASE)
        assert runbook.is_file(), f"{rule['alert']}: {runbook} does not exist"
        text = runbook.read_text()
        assert rule["alert"] in text, f"{runbook.name} does not name {rule['alert']}"
        for section in ("## What it means", "## Confirm", "## Mitigate", "## Escalate"):
            assert section in text, f"{runbook.name} lacks {section}"


def test_every_runbook_belongs_to_an_alert():
    used = {rule["annotations"]["runbook_url"].rsplit("/", 1)[1] for rule in alert_rules()}
    present = {path.name for path in (Path(settings.BASE_DIR) / "docs" / "runbooks").glob("*.md")} - {"README.md"}
    assert present == used


def test_every_alert_is_unit_tested_firing_and_quiet():
    fired, quiet = set(), set()
    for path in (OPS / "prometheus" / "tests").glob("*.test.yml"):
        for case in yaml.safe_load(path.read_text())["tests"]:
            for check in case.get("alert_rule_test", []):
                (fired if check.get("exp_alerts") else quiet).add(check["alertname"])
    names = {rule["alert"] for rule in alert_rules()}
    assert names - fired == set(), "alerts never shown firing"
    assert names - quiet == set(), "alerts never shown staying quiet"


def test_every_receiver_is_reached_by_a_routing_case():
    config = yaml.safe_load((OPS / "alertmanager" / "alertmanager.yml").read_text())
    receivers = {receiver["name"] for receiver in config["receivers"]}
    reached = set()
    for line in (OPS / "alertmanager" / "routes-test.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            reached.update(name.strip() for name in line.split("|")[0].split(","))
    assert reached == receivers


def test_the_dashboards_read_only_exported_metrics():
    checked, problems = check_dashboards()
    assert problems == []
    assert checked >= 40
    titles = {json.loads(path.read_text())["title"] for path in (OPS / "grafana" / "dashboards").glob("*.json")}
    assert titles == {"Lyceum · Service", "Lyceum · Payments and subscriptions", "Lyceum · Workers"}


def test_a_dashboard_query_on_a_metric_the_site_does_not_export_is_caught(tmp_path):
    board = {"title": "t", "panels": [{"title": "typo", "targets": [{"expr": "sum(rate(lyceum_paymnets_total[5m]))"}]}]}
    (tmp_path / "bad.json").write_text(json.dumps(board))
    checked, problems = check_dashboards(tmp_path)
    assert (checked, problems) == (1, ["bad.json / typo: lyceum_paymnets_total is not exported by the site"])


@pytest.mark.parametrize(
    "expr, names",
    [
        ('sum by (le) (rate(a_bucket{le="0.5",view!~"x|y"}[5m]))', {"a_bucket"}),
        ("lyceum:x:ratio_rate1h > (14.4 * 0.001) and on(instance) b offset 5m", {"lyceum:x:ratio_rate1h", "b"}),
        ("histogram_quantile(0.95, sum by (le, task) (rate(c_bucket[$__rate_interval])))", {"c_bucket"}),
        ("time() - max(d)", {"d"}),
        ("count by (collector) (e == 0) or vector(0)", {"e"}),
    ],
)
def test_metric_names_of_a_query(expr, names):
    assert metric_names(expr) == names


@pytest.mark.django_db
def test_declared_scrape_time_metrics_are_what_a_scrape_yields(scrape, settings):
    """The dashboard check trusts each collector's `exports`: they must match a real scrape."""
    from django.core.cache import cache

    from accounts.tests.factories import VerifiedUserFactory
    from billing.tests.factories import StripeEventFactory
    from marketplace.models import Payout
    from operations.collector import HEARTBEAT_CACHE_KEY
    from subscriptions.models import Subscription, Tier

    # Gauges with labels show only with rows to count.
    StripeEventFactory(status="failed")
    cache.set(HEARTBEAT_CACHE_KEY, 1.0)
    tier = Tier.objects.create(code="gauge", name="Gauge", order=77, monthly_price=100, annual_price=1000)
    user = VerifiedUserFactory()
    Subscription.objects.create(user=user, tier=tier, interval="month", status="active", stripe_subscription_id="sub_g")
    Payout.objects.create(instructor=user, amount=100, currency="usd", status="failed", stripe_account_id="acct_g")
    declared = declared_gauge_names()
    if settings.CELERY_BROKER_URL:  # the queue length is read from the broker (Redis in CI)
        settings.CELERY_TASK_ALWAYS_EAGER = False
    else:
        declared.discard("lyceum_celery_queue_length")
    samples = scrape()
    scraped = {name for name, _ in samples}
    assert declared <= scraped, declared - scraped
    assert samples[("lyceum_metrics_collector_up", (("collector", "celery_queues"),))] == 1
