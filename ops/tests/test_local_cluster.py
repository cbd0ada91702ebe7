"""The local cluster (ops/local-cluster/) under real journeys, losing a web instance and a worker mid-load.

Through HAProxy: learners sign in on one instance, buy a course, pay on the Stripe emulator's hosted page
and come back on the other instance; the emulator's webhooks reach either instance and are processed by
either worker. Mid-load one gunicorn instance and one Celery worker are killed with SIGKILL (their whole
process groups). Then: no request failed but those in flight on the killed instance, every paid checkout
is one succeeded payment fulfilled exactly once (one enrollment, one sale, one earnings entry), every
webhook event processed, and the instructors' ledgers verify. The figures are printed and written to
test-results/local-cluster.json (docs/local-cluster.md records a run).
"""

import importlib.util
import itertools
import json
import os
import re
import shutil
import socket
import statistics
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
import requests
import requests.adapters
import stripe
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.test import override_settings

from accounts.models import User
from accounts.tests.factories import DEFAULT_PASSWORD, VerifiedUserFactory, solved_captcha
from billing.models import Payment, StripeEvent
from billing.tests.support import pay
from marketplace.models import Course, EarningsEntry, Enrollment, Sale
from marketplace.services.earnings import verify_balances
from marketplace.tests.factories import InstructorFactory, PublishedCourseFactory

BASE_DIR = Path(settings.BASE_DIR)
_spec = importlib.util.spec_from_file_location("local_cluster", BASE_DIR / "ops" / "local-cluster" / "cluster.py")
local_cluster = importlib.util.module_from_spec(_spec)
sys.modules["local_cluster"] = local_cluster  # dataclasses look their module up there
_spec.loader.exec_module(local_cluster)

LOAD_SECONDS = 30
KILL_AFTER = 10
JOURNEY_THREADS = 3
BROWSE_THREADS = 2
ATTEMPTS = 3
RELOAD_AFTER = 0.5  # seconds before a person reloads a failed page

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _tools():
    missing = [tool for tool in ("haproxy", "redis-server", "timeout") if not shutil.which(tool)]
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"the local cluster needs {missing}")
        pytest.skip(f"{missing} not installed")


@dataclass
class Call:
    drill_id: str
    method: str
    path: str
    started: float
    ended: float
    status: int | None
    error: str
    served_by: str

    @property
    def failed(self) -> bool:
        return self.status is None or self.status >= 500


class Recorder:
    """Every request through the load balancer, with its own id that HAProxy logs next to the server."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.calls: list[Call] = []
        self.lock = threading.Lock()
        self.ids = itertools.count(1)

    def request(self, session, method: str, path: str, pin: str | None = None, **kwargs) -> requests.Response | None:
        drill_id = f"d{next(self.ids)}"
        headers = {"X-Drill-Id": drill_id, **({"X-Pin-Server": pin} if pin else {})}
        started = time.monotonic()
        response, error = None, ""
        try:
            response = session.request(
                method, self.base_url + path, headers=headers, allow_redirects=False, timeout=60, **kwargs
            )
        except requests.RequestException as exc:
            error = exc.__class__.__name__
        call = Call(
            drill_id,
            method,
            path,
            started,
            time.monotonic(),
            response.status_code if response is not None else None,
            error,
            response.headers.get("X-Served-By", "") if response is not None else "",
        )
        with self.lock:
            self.calls.append(call)
        return None if call.failed else response


class _FromAddress(requests.adapters.HTTPAdapter):
    """Connections made from one loopback address (all of 127.0.0.0/8 is this machine)."""

    def __init__(self, address: str):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


class Journey:
    def __init__(self, recorder: Recorder, user, course: Course, altcha_key: str, first: str, second: str):
        self.recorder, self.user, self.course, self.altcha_key = recorder, user, course, altcha_key
        self.first, self.second = first, second
        self.session = requests.Session()
        # Each learner comes from an address of their own, as people do: HAProxy forwards it and the site's
        # per-address sign-in limit (30 a minute, read through PROXY_COUNT) applies to each, not to all.
        address = f"127.0.{(user.pk // 250) % 250 + 1}.{user.pk % 250 + 1}"
        self.session.mount("http://", _FromAddress(address))
        self.signed_in_on = self.returned_on = ""
        self.payment_path = ""
        self.done = False

    def step(self, method: str, path: str, pin: str, **kwargs) -> requests.Response:
        """One user action; a failed one is tried again, as a person would press reload a moment later."""
        for attempt in range(ATTEMPTS):
            response = self.recorder.request(self.session, method, path, pin=pin, **kwargs)
            if response is not None:
                return response
            time.sleep(RELOAD_AFTER * (attempt + 1))
        raise AssertionError(f"{method} {path} failed {ATTEMPTS} times")

    def csrf(self) -> str:
        return self.session.cookies.get("csrftoken", "")

    def sign_in(self) -> requests.Response | None:
        """The sign-in page, its CAPTCHA solved (a new challenge each time), the form posted."""
        if self.recorder.request(self.session, "GET", "/accounts/login/", pin=self.first) is None:
            return None
        data = {
            "login": self.user.email,
            "password": DEFAULT_PASSWORD,
            "captcha": solved_captcha(hmac_key=self.altcha_key),
            "csrfmiddlewaretoken": self.csrf(),
        }
        return self.recorder.request(self.session, "POST", "/accounts/login/", pin=self.first, data=data)

    def run(self) -> None:
        for attempt in range(ATTEMPTS):  # a person whose page failed loads it again a moment later
            signed_in = self.sign_in()
            if signed_in is not None:
                break
            time.sleep(RELOAD_AFTER * (attempt + 1))
        assert signed_in is not None, f"signing in failed {ATTEMPTS} times"
        assert signed_in.status_code == 302, re.findall(r'class="errorlist[^"]*"[^>]*>(.*?)</ul>', signed_in.text, re.S)
        self.signed_in_on = signed_in.headers["X-Served-By"]
        bought = self.step(
            "POST", f"/courses/{self.course.slug}/buy/", self.first, data={"csrfmiddlewaretoken": self.csrf()}
        )
        assert bought.status_code == 302, bought.text[:500]
        paid = pay(bought.headers["Location"], email=self.user.email)
        assert paid.ok, paid.page[:500]
        back = urlsplit(paid.redirect)
        self.payment_path = back.path
        returned = self.step("GET", f"{back.path}?{back.query}", self.second)
        # Signed in on the other instance too (a lost session would redirect to the sign-in page).
        assert returned.status_code == 200, (returned.status_code, returned.headers.get("Location"))
        self.returned_on = returned.headers["X-Served-By"]
        self.done = True


def _database_url() -> str:
    db = settings.DATABASES["default"]  # the test database: the cluster shares it with this test
    credentials = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _refuses(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return False
    except OSError:
        return True


def _wait(predicate, timeout: float, what: str, every: float = 0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def test_journeys_through_the_load_balancer_survive_losing_a_web_instance_and_a_worker(tmp_path):
    importlib.import_module("marketplace.migrations.0005_earnings").seed_share_rules(
        importlib.import_module("django.apps").apps, None
    )
    instructor = InstructorFactory()
    courses = [PublishedCourseFactory(instructor=instructor, price_amount=1500 + 100 * n) for n in range(4)]
    # The cluster hashes passwords as production does (PBKDF2), not with the test settings' fast MD5.
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.PBKDF2PasswordHasher"]):
        password_hash = make_password(DEFAULT_PASSWORD)
    buyers = [VerifiedUserFactory() for _ in range(60)]
    User.objects.filter(pk__in=[buyer.pk for buyer in buyers]).update(password=password_hash)

    cluster = local_cluster.LocalCluster(_database_url(), lifetime=600)
    started_at = time.monotonic()
    try:
        cluster.start()
        startup_seconds = time.monotonic() - started_at
        recorder = Recorder(cluster.url)
        stop = threading.Event()
        journeys: list[Journey] = []
        journey_errors: list[str] = []
        buyer_pool = iter(buyers)
        pool_lock = threading.Lock()

        def journey_loop(index: int) -> None:
            order = ("web1", "web2") if index % 2 == 0 else ("web2", "web1")
            while not stop.is_set():
                with pool_lock:
                    user = next(buyer_pool, None)
                if user is None:
                    return
                journey = Journey(recorder, user, courses[index % len(courses)], cluster.altcha_key, *order)
                journeys.append(journey)
                try:
                    journey.run()
                except AssertionError as exc:
                    journey_errors.append(f"{user.email}: {exc}")

        def browse_loop() -> None:
            session = requests.Session()
            paths = itertools.cycle(["/", "/courses/", f"/courses/{courses[0].slug}/", "/healthz"])
            while not stop.is_set():
                recorder.request(session, "GET", next(paths))

        threads = [threading.Thread(target=journey_loop, args=(i,)) for i in range(JOURNEY_THREADS)]
        threads += [threading.Thread(target=browse_loop) for _ in range(BROWSE_THREADS)]
        load_started = time.monotonic()
        for thread in threads:
            thread.start()
        time.sleep(KILL_AFTER)
        killed_at = time.monotonic()
        cluster.processes["web1"].kill()  # SIGKILL to gunicorn's master and its workers
        cluster.processes["worker1"].kill()  # SIGKILL to Celery's master and its pool
        # The instance is gone when its port refuses connections: until the kernel has closed its listening
        # socket, a new connection still lands in its backlog, i.e. on the killed instance.
        gone_at = _wait(
            lambda: _refuses(cluster.ports["web1"]) and time.monotonic(), 10, "web1's port to close", every=0.005
        )
        time.sleep(LOAD_SECONDS - KILL_AFTER)
        stop.set()
        for thread in threads:
            thread.join(120)
        load_seconds = time.monotonic() - load_started

        # Every checkout paid on the emulator becomes exactly one fulfilled payment.
        client = stripe.StripeClient("sk_test_LyceumLocalCluster", base_addresses={"api": cluster.emulator_url})
        paid_sessions = {
            session.id
            for session in client.v1.checkout.sessions.list(params={"limit": 100}).auto_paging_iter()
            if session.payment_status == "paid"
        }
        settle_started = time.monotonic()

        def settled():
            succeeded = set(
                Payment.objects.filter(status=Payment.Status.SUCCEEDED).values_list(
                    "stripe_checkout_session_id", flat=True
                )
            )
            pending_events = StripeEvent.objects.exclude(status=StripeEvent.Status.SUCCEEDED).exclude(
                status=StripeEvent.Status.IGNORED
            )
            sales = Sale.objects.filter(payment__stripe_checkout_session_id__in=paid_sessions).count()
            return succeeded == paid_sessions and sales == len(paid_sessions) and not pending_events.exists()

        _wait(settled, 120, "every paid checkout to be fulfilled and every event processed")
        settle_seconds = time.monotonic() - settle_started
        haproxy_log = cluster.log("haproxy")
        finished_by_web2 = set(re.findall(r"drill=(d\d+)", cluster.log("web2")))
        worker_logs = {name: cluster.log(name) for name in ("worker1", "worker2")}
    finally:
        cluster.stop()

    # Requests: the only failures were in flight on the killed instance when it died. A failed request was
    # in flight at the kill; web2 (which lived) never finished it, and HAProxy, when it logged one (it closes a
    # client connection silently when a server dies under a request), names web1.
    servers: dict[str, str] = {}
    for server, drill_id in re.findall(r"web/(\S+) .*? drill=(d\d+)", haproxy_log):
        servers[drill_id] = server
    failed = [call for call in recorder.calls if call.failed]
    for call in failed:
        assert call.started <= gone_at and call.ended >= killed_at, f"{call} failed but was not in flight at the kill"
        assert call.drill_id not in finished_by_web2, f"{call} failed although web2 answered it"
        assert servers.get(call.drill_id, "web1") == "web1", f"{call} failed on {servers.get(call.drill_id)}"
    assert not journey_errors, journey_errors
    done = [journey for journey in journeys if journey.done]
    after_kill = [call for call in recorder.calls if call.started > killed_at + 3]
    assert after_kill and all(call.served_by == "web2" for call in after_kill if not call.failed)
    assert "Server web/web1 is DOWN" in haproxy_log

    # Sessions are shared: signed in on one instance, back from Stripe on the other.
    crossed = [j for j in done if j.signed_in_on and j.returned_on and j.signed_in_on != j.returned_on]
    assert len(crossed) >= 3, [(j.signed_in_on, j.returned_on) for j in done]
    assert len(done) >= 6 and any(j.signed_in_on == "web2" for j in done)

    # Money: nothing lost, nothing fulfilled twice, the ledgers verify.
    assert len(paid_sessions) >= len(done)
    paid = Payment.objects.filter(stripe_checkout_session_id__in=paid_sessions)
    assert paid.count() == len(paid_sessions)
    for payment in paid:
        assert payment.status == Payment.Status.SUCCEEDED and payment.fulfilled_at is not None
        assert Sale.objects.filter(payment=payment).count() == 1
        assert EarningsEntry.objects.filter(sale__payment=payment, kind=EarningsEntry.Kind.SALE).count() == 1
        assert Enrollment.objects.filter(user=payment.user, payment=payment, revoked_at__isnull=True).count() == 1
    checked, mismatches = verify_balances()
    assert checked >= 1 and mismatches == []
    assert "process_stripe_event" in worker_logs["worker1"] and "succeeded" in worker_logs["worker1"]
    assert re.search(r"process_stripe_event\[.*\] succeeded", worker_logs["worker2"])

    latencies = sorted(call.ended - call.started for call in recorder.calls if not call.failed)
    figures = {
        "cluster_start_seconds": round(startup_seconds, 1),
        "load_seconds": round(load_seconds, 1),
        "killed_after_seconds": KILL_AFTER,
        "port_closed_after_kill_ms": round((gone_at - killed_at) * 1000),
        "requests": len(recorder.calls),
        "requests_failed": len(failed),
        "failed_requests": [f"{c.method} {c.path} ({c.status or c.error})" for c in failed],
        "requests_after_kill_served_by_web2": len(after_kill),
        "latency_p50_ms": round(statistics.median(latencies) * 1000),
        "latency_p95_ms": round(latencies[int(len(latencies) * 0.95) - 1] * 1000),
        "journeys_completed": len(done),
        "journeys_completed_after_kill": sum(1 for j in done if j.signed_in_on == "web2" and j.first == "web1"),
        "journeys_crossing_instances": len(crossed),
        "paid_checkouts": len(paid_sessions),
        "payments_fulfilled_once": paid.count(),
        "seconds_to_settle_after_load": round(settle_seconds, 1),
        "events_processed": StripeEvent.objects.filter(status=StripeEvent.Status.SUCCEEDED).count(),
        "ledger_balances_verified": checked,
        "events_processed_by_worker": {
            name: len(re.findall(r"process_stripe_event\[.*?\] succeeded", text)) for name, text in worker_logs.items()
        },
    }
    print(json.dumps(figures, indent=2))
    results = BASE_DIR / "test-results"
    results.mkdir(exist_ok=True)
    (results / "local-cluster.json").write_text(json.dumps(figures, indent=2))
