"""Lyceum's users, as Locust users with think time (loadtest/README.md). Run through loadtest/run.py, which
starts the site as production runs it and hands this file the accounts in LOADTEST_ACCOUNTS_FILE.

A day's mix, mostly browsing: visitors 55%, learners 20%, API integrators 10%, subscribers 7%, buyers 5%,
instructors 3%. The Stripe emulator delivers webhooks at the rate buyers pay (each paid Checkout sends its
events to the site's webhook endpoint, which the Celery worker processes).

Each simulated person comes from their own address (X-Forwarded-For from 198.18.0.0/15, the range set aside
for benchmarks, written as a header only: every request goes to 127.0.0.1), as real visitors reach
production through its proxy; the server runs with PROXY_COUNT=1, so per-address limits (sign-in 30/min,
anonymous API 100/min) apply to each person as they would in production rather than to all of them at once.
"""

import html
import itertools
import json
import os
import random
import re
import time
from urllib.parse import urlsplit

import altcha
from locust import HttpUser, between, events, task

ACCOUNTS = (
    json.loads(open(os.environ["LOADTEST_ACCOUNTS_FILE"]).read()) if "LOADTEST_ACCOUNTS_FILE" in os.environ else {}
)
SEARCH_WORDS = ["python", "data", "design", "cooking", "music", "web", "business", "photography", "spanish"]
CHALLENGE = re.compile(r'challengejson="([^"]+)"')
_addresses = itertools.count(1)
_learners = itertools.count()
CATALOGUE: list[dict] = []


def _address() -> str:
    n = next(_addresses)
    return f"198.{18 + (n >> 16) % 2}.{(n >> 8) % 256}.{n % 256}"


@events.test_start.add_listener
def _load_catalogue(environment, **kwargs):
    """The published courses (id, slug, free or paid), read once from the public API."""
    import requests

    for attempt in range(5):  # the site may still be draining a previous profile's queue
        try:
            page, url, found = 0, environment.host.rstrip("/") + "/api/v1/courses/?page_size=100", []
            while url and page < 10:
                body = requests.get(url, timeout=120, headers={"X-Forwarded-For": "198.19.255.254"}).json()
                found.extend({"id": c["id"], "slug": c["slug"], "free": c["is_free"]} for c in body["results"])
                url, page = body.get("next"), page + 1
            CATALOGUE[:] = found
            break
        except (requests.RequestException, ValueError, KeyError):
            time.sleep(10 * (attempt + 1))
    if not CATALOGUE:
        raise RuntimeError("the catalogue is empty: run `manage.py seed_demo` first")


class LyceumUser(HttpUser):
    abstract = True
    wait_time = between(3, 10)

    def on_start(self):
        self.client.headers["X-Forwarded-For"] = _address()

    # helpers -------------------------------------------------------------------------------------

    def course(self, free: bool | None = None) -> dict:
        pool = [c for c in CATALOGUE if free is None or c["free"] == free] or CATALOGUE
        return random.choice(pool)

    def csrf(self) -> str:
        return self.client.cookies.get("csrftoken", "")

    def post_form(self, path: str, data: dict | None = None, name: str | None = None, **kwargs):
        return self.client.post(
            path, data={"csrfmiddlewaretoken": self.csrf(), **(data or {})}, name=name or path, **kwargs
        )

    def solve_captcha(self, page: str) -> str:
        """What the ALTCHA widget does in a browser: solve the page's proof-of-work challenge."""
        found = CHALLENGE.search(page)
        if not found:
            return ""
        challenge = json.loads(html.unescape(found.group(1)))
        solution = altcha.solve_challenge(
            challenge["challenge"], challenge["salt"], challenge["algorithm"], challenge["max_number"]
        )
        if solution is None:
            return ""
        payload = altcha.Payload(
            challenge["algorithm"], challenge["challenge"], solution.number, challenge["salt"], challenge["signature"]
        )
        return payload.to_base64()

    def sign_in(self, email: str) -> bool:
        page = self.client.get("/accounts/login/", name="/accounts/login/").text
        with self.post_form(
            "/accounts/login/",
            {"login": email, "password": ACCOUNTS["password"], "captcha": self.solve_captcha(page)},
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code == 302 and "/accounts/login" not in response.headers.get("Location", ""):
                response.success()
                return True
            response.failure(f"sign-in refused for {email}: {response.status_code}")
            return False

    def next_learner(self) -> str:
        learners = ACCOUNTS["learners"]
        return learners[next(_learners) % len(learners)]


class Visitor(LyceumUser):
    """Someone browsing: the home page, the catalogue, a search, course pages, pricing."""

    weight = 55

    @task(3)
    def catalogue(self):
        self.client.get("/courses/", name="/courses/")

    @task(2)
    def search(self):
        self.client.get(f"/courses/?q={random.choice(SEARCH_WORDS)}", name="/courses/?q=[word]")

    @task(4)
    def course_page(self):
        self.client.get(f"/courses/{self.course()['slug']}/", name="/courses/[slug]/")

    @task(1)
    def home(self):
        self.client.get("/", name="/")

    @task(1)
    def pricing(self):
        self.client.get("/pricing/", name="/pricing/")


class Learner(LyceumUser):
    """Signs in, opens My learning, starts a free course, reads lessons and marks them complete."""

    weight = 20

    def on_start(self):
        super().on_start()
        self.signed_in = self.sign_in(self.next_learner())
        self.course_slug, self.lessons = None, []
        self.session_tasks = 0

    def on_task(self):
        """A learner's visit lasts some twenty pages; then another learner signs in (sign-ins stay in the mix)."""
        self.session_tasks += 1
        if self.session_tasks >= 20:
            self.client.cookies.clear()
            self.client.headers["X-Forwarded-For"] = _address()
            self.signed_in = self.sign_in(self.next_learner())
            self.course_slug, self.lessons, self.session_tasks = None, [], 0

    def _enrol(self):
        course = self.course(free=True)
        self.post_form(f"/courses/{course['slug']}/start/", name="/courses/[slug]/start/")
        detail = self.client.get(f"/api/v1/courses/{course['id']}/", name="/api/v1/courses/[id]/").json()
        self.course_slug = course["slug"]
        self.lessons = [lesson["id"] for module in detail.get("modules", []) for lesson in module["lessons"]]

    @task(2)
    def my_learning(self):
        self.on_task()
        self.client.get("/learning/", name="/learning/")

    @task(5)
    def lesson(self):
        self.on_task()
        if not self.signed_in:
            return
        if not self.lessons:
            self._enrol()
            if not self.lessons:
                return
        self.client.get(f"/courses/{self.course_slug}/learn/", name="/courses/[slug]/learn/")
        lesson = random.choice(self.lessons)
        self.client.get(f"/courses/{self.course_slug}/lessons/{lesson}/", name="/courses/[slug]/lessons/[id]/")
        self.post_form(
            f"/courses/{self.course_slug}/lessons/{lesson}/complete/",
            name="/courses/[slug]/lessons/[id]/complete/",
        )

    @task(1)
    def features(self):
        self.client.get("/api/v1/me/features/", name="/api/v1/me/features/")


class Buyer(LyceumUser):
    """Signs in, buys a paid course: Checkout on the Stripe emulator, pays, comes back to the payment page."""

    weight = 5
    wait_time = between(10, 30)

    def on_start(self):
        super().on_start()
        self.signed_in = self.sign_in(self.next_learner())

    @task
    def buy(self):
        if not self.signed_in:
            return
        course = self.course(free=False)
        self.client.get(f"/courses/{course['slug']}/", name="/courses/[slug]/")
        response = self.post_form(f"/courses/{course['slug']}/buy/", name="/courses/[slug]/buy/", allow_redirects=False)
        checkout = response.headers.get("Location", "")
        if not checkout.startswith("http://127.0.0.1"):
            return  # already enrolled (the site sends them to the course) or refused with a message
        self.client.get(checkout, name="emulator: checkout page")
        paid = self.client.post(
            checkout,
            data={
                "email": "buyer@loadtest.lyceum.test",
                "card_number": "4242 4242 4242 4242",
                "expiry": "12 / 34",
                "cvc": "123",
                "name": "Load Buyer",
            },  # fmt: skip
            allow_redirects=False,
            name="emulator: pay",
        )
        back = paid.headers.get("Location", "")
        if back:
            parts = urlsplit(back)  # SITE_URL is the public address; the same path on the local server
            self.client.get(parts.path + (f"?{parts.query}" if parts.query else ""), name="/billing/payments/[id]/")


class Subscriber(LyceumUser):
    """Signs in, looks at the plans and previews a change."""

    weight = 7

    def on_start(self):
        super().on_start()
        self.signed_in = self.sign_in(self.next_learner())

    @task(2)
    def pricing(self):
        self.client.get("/pricing/", name="/pricing/")

    @task(1)
    def preview_change(self):
        self.client.get("/subscriptions/manage/", name="/subscriptions/manage/")
        tier = random.choice(["pro", "enterprise"])
        self.client.get(
            f"/subscriptions/change/?tier={tier}&interval={random.choice(['month', 'year'])}",
            name="/subscriptions/change/?tier=[tier]",
        )


class Instructor(LyceumUser):
    """Signs in to the studio, looks at earnings and downloads the sales CSV."""

    weight = 3

    def on_start(self):
        super().on_start()
        self.signed_in = bool(ACCOUNTS.get("instructors")) and self.sign_in(random.choice(ACCOUNTS["instructors"]))

    @task(2)
    def studio(self):
        self.client.get("/studio/", name="/studio/")

    @task(2)
    def earnings(self):
        self.client.get("/studio/earnings/", name="/studio/earnings/")

    @task(1)
    def sales_csv(self):
        self.client.get("/studio/earnings/sales.csv", name="/studio/earnings/sales.csv")


class APIIntegrator(LyceumUser):
    """A program with a personal API key: list and detail calls."""

    weight = 10
    wait_time = between(1, 5)

    def on_start(self):
        super().on_start()
        keys = ACCOUNTS.get("api_keys") or [""]
        self.client.headers["Authorization"] = f"Bearer {random.choice(keys)}"

    @task(3)
    def courses(self):
        self.client.get(f"/api/v1/courses/?q={random.choice(SEARCH_WORDS)}", name="/api/v1/courses/?q=[word]")

    @task(3)
    def course_detail(self):
        self.client.get(f"/api/v1/courses/{self.course()['id']}/", name="/api/v1/courses/[id]/")

    @task(2)
    def enrollments(self):
        self.client.get("/api/v1/enrollments/", name="/api/v1/enrollments/")

    @task(1)
    def payments(self):
        self.client.get("/api/v1/payments/", name="/api/v1/payments/")

    @task(1)
    def me(self):
        self.client.get("/api/v1/me/", name="/api/v1/me/")
