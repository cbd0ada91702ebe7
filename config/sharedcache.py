"""Anonymous responses from a shared cache, answered early, with exact invalidation and conditional requests.

A view opts in with `@shared_cache(versions=...)`, naming the *generations* its output depends on (e.g. the
marketplace's catalogue). A generation is a token in the cache that the owning app replaces whenever anything
the view shows changes (`bump`, from its services and model signals), so a stored response is found only
while everything it was built from is unchanged: there is no expiry to wait for and nothing to delete.

`SharedCacheMiddleware` sits just inside the security, CSP and metrics middleware. For a GET from a visitor
with no session, no messages cookie and no Authorization header it works out the key from the path, the
query and the generations (one cache round trip), answers 304 when the client already holds that version
(`If-None-Match` / `If-Modified-Since`), else serves the stored response without running the session, CSRF,
authentication, messages, allauth, axes and view code at all. A miss goes the whole way and stores the
response when it is a plain 200 that set no cookie, used no CSRF token and was rendered for nobody in
particular. Anyone else (signed in by session or API key, or a visitor with a session) always goes the whole
way and gets `Cache-Control: private`: a shared copy is never served to them, nor made from their response.
Views marked `@lean` (the liveness probe) touch no session or user and are called straight from here.
"""

import hashlib
import logging
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import caches
from django.db import transaction
from django.http import HttpResponse, HttpResponseNotModified
from django.urls import Resolver404, get_resolver
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers, set_response_etag
from django.utils.http import http_date

logger = logging.getLogger(__name__)

CACHE_ALIAS = "default"  # the evicting cache role: losing an entry only costs a rebuild
TIMEOUT = 60 * 60  # an entry nobody asks for leaves after an hour; a change makes it unreachable at once
_GENERATION = "gen:{}"
_RESPONSE = "shared:{}"
_PROMETHEUS_AFTER = "django_prometheus.middleware.PrometheusAfterMiddleware"
_KEPT_OUT = {"set-cookie", "x-ratelimit-limit", "x-ratelimit-remaining", "etag", "last-modified", "cache-control"}
ANONYMOUS_CACHE_CONTROL = "max-age=0, must-revalidate"


@dataclass(frozen=True)
class Policy:
    versions: Callable[..., list[str]]  # (request, *args, **kwargs) -> generation names
    throttled: bool = False  # a DRF view: its throttles still count every request served from the cache


def shared_cache(versions: Callable[..., list[str]]):
    """Mark a view whose anonymous responses depend only on the URL and the named generations."""

    def mark(view):
        view.shared_cache = Policy(versions, throttled=hasattr(view, "cls"))
        return view

    return mark


def lean(view):
    """Mark a view that needs no session, user, CSRF or messages: the middleware calls it directly."""
    view.lean = True
    return view


# Generations ------------------------------------------------------------------------------------


def _new_token() -> str:
    # The time (for Last-Modified) and randomness (two bumps in the same nanosecond still differ).
    return f"{time.time_ns():x}.{secrets.token_hex(4)}"


def token_time(token: str) -> float:
    return int(token.split(".", 1)[0], 16) / 1e9


def bump(*names: str) -> None:
    """Everything cached from these generations is stale: now, and again when the transaction commits (a
    request between the two could otherwise store what it read before the commit under the new token)."""

    def replace():
        try:
            caches[CACHE_ALIAS].set_many({_GENERATION.format(name): _new_token() for name in names}, timeout=None)
        except Exception:  # the cache being down must not fail the write; entries expire within TIMEOUT
            logger.exception("could not bump cache generations %s", names)

    replace()
    transaction.on_commit(replace)


def generations(names: list[str]) -> dict[str, str]:
    """The current token of each generation, starting any that is missing (first use, or evicted)."""
    cache = caches[CACHE_ALIAS]
    keys = {name: _GENERATION.format(name) for name in names}
    found = cache.get_many(list(keys.values()))
    missing = {key: _new_token() for key in keys.values() if key not in found}
    if missing:
        for key, token in missing.items():
            cache.add(key, token, timeout=None)  # another process may have started it first: theirs wins
        found |= cache.get_many(list(missing))
    return {name: found[key] for name, key in keys.items()}


def version(name: str) -> str:
    """One generation's token, e.g. to key a template fragment with `{% cache %}`."""
    return generations([name])[name]


# The middleware ---------------------------------------------------------------------------------


class _RecentResponses:
    """The responses this process served last, by key. A key holds the generations' tokens, so an entry can
    never be served stale: after a change nobody asks for its key again and it falls off the end. It saves
    the second cache round trip (and unpickling the body) for the pages asked for most; the generations are
    still read from the shared cache on every request, which keeps invalidation exact across processes."""

    def __init__(self, size: int):
        self.size = size
        self.entries: OrderedDict[str, tuple] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str) -> tuple | None:
        with self.lock:
            stored = self.entries.get(key)
            if stored is not None:
                self.entries.move_to_end(key)
            return stored

    def put(self, key: str, stored: tuple) -> None:
        with self.lock:
            self.entries[key] = stored
            self.entries.move_to_end(key)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)


_recent = _RecentResponses(size=256)


@lru_cache(maxsize=2048)
def _resolve(urlconf: str | None, path: str):
    try:
        return get_resolver(urlconf).resolve(path)
    except Resolver404:
        return None


def is_anonymous_request(request) -> bool:
    """No session, no pending messages, no credentials: nothing in the request can make the page personal."""
    cookies = request.COOKIES
    return (
        settings.SESSION_COOKIE_NAME not in cookies
        and CookieStorage.cookie_name not in cookies
        and "HTTP_AUTHORIZATION" not in request.META
    )


class SharedCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        # What the metrics middleware at the end of the chain records per view (requests, statuses, latency),
        # recorded here too for the answers that never reach it.
        self.metrics = None
        if _PROMETHEUS_AFTER in settings.MIDDLEWARE:
            from django_prometheus.middleware import PrometheusAfterMiddleware

            self.metrics = PrometheusAfterMiddleware(get_response)

    def __call__(self, request):
        if request.method != "GET":
            return self.get_response(request)
        match = _resolve(getattr(request, "urlconf", None), request.path_info)
        if match is None:
            return self.get_response(request)
        view, args, kwargs = match.func, match.args, match.kwargs
        if getattr(view, "lean", False):
            request.get_host()  # the ALLOWED_HOSTS check CommonMiddleware would make
            return self._answer_here(request, match, lambda: view(request, *args, **kwargs))
        policy = getattr(view, "shared_cache", None)
        if policy is None:
            return self.get_response(request)
        if not is_anonymous_request(request):
            return self._private(request, self.get_response(request))
        request.get_host()
        try:
            tokens = generations(policy.versions(request, *args, **kwargs))
        except Exception:  # noqa: BLE001 - no cache: serve the page the long way
            logger.exception("shared cache unavailable")
            return self.get_response(request)
        key = self._key(request, tokens)
        etag = f'"{key[:40]}"'
        last_modified = max(map(token_time, tokens.values()), default=0)
        served = get_conditional_response(request, etag=etag, last_modified=int(last_modified))
        if not isinstance(served, HttpResponseNotModified):
            served = self._load(key)
        if served is not None:
            # Served from the cache, the request still counts against the API's throttles (a miss is
            # counted by the view itself); past the limit, the view answers 429 in the API's error shape.
            if policy.throttled and not _throttles_allow(request, view):
                return self.get_response(request)
            return self._answer_here(request, match, lambda: self._finish(request, served, etag, last_modified))
        response = self.get_response(request)
        if self._storable(request, response):
            self._store(key, response)
            return self._finish(request, response, etag, last_modified)
        return self._private(request, response)

    def _answer_here(self, request, match, answer: Callable[[], HttpResponse]) -> HttpResponse:
        request.resolver_match = match
        metrics = self.metrics
        if metrics is None:
            return answer()
        metrics.process_request(request)
        metrics.process_view(request, match.func, match.args, match.kwargs)
        try:
            response = answer()
        except Exception as exc:
            metrics.process_exception(request, exc)
            raise
        return metrics.process_response(request, response)

    @staticmethod
    def _key(request, tokens: dict[str, str]) -> str:
        # The query as sent: parameters are not reordered (with a repeated one, the last wins).
        query = request.META.get("QUERY_STRING", "")
        # Scheme and host too: the API's next/previous links are absolute.
        material = "\n".join([request.scheme, request.get_host(), request.path, query, *sorted(tokens.values())])
        return hashlib.sha256(material.encode()).hexdigest()

    @staticmethod
    def _storable(request, response) -> bool:
        user = getattr(request, "user", None)
        return (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")  # get_token(): a CSRF token is in the page
            and not (user is not None and user.is_authenticated)
            and not response.has_header("Cache-Control")  # the view said how it may be cached
        )

    @staticmethod
    def _store(key: str, response) -> None:
        headers = [(name, value) for name, value in response.items() if name.lower() not in _KEPT_OUT]
        stored = (response.content, headers)
        _recent.put(key, stored)
        try:
            caches[CACHE_ALIAS].set(_RESPONSE.format(key), stored, timeout=TIMEOUT)
        except Exception:  # noqa: BLE001
            logger.exception("could not store a shared response")

    @staticmethod
    def _load(key: str) -> HttpResponse | None:
        stored = _recent.get(key)
        if stored is None:
            try:
                stored = caches[CACHE_ALIAS].get(_RESPONSE.format(key))
            except Exception:  # noqa: BLE001
                logger.exception("could not read a shared response")
                return None
            if stored is None:
                return None
            _recent.put(key, stored)
        content, headers = stored
        response = HttpResponse(content)
        for name, value in headers:
            response[name] = value
        return response

    @staticmethod
    def _finish(request, response, etag: str, last_modified: float):
        from .api import add_rate_limit_headers

        response["ETag"] = etag
        response["Last-Modified"] = http_date(last_modified)
        response["Cache-Control"] = ANONYMOUS_CACHE_CONTROL
        patch_vary_headers(response, ("Cookie", "Authorization"))
        response.shared_cache = True  # for tests and logs: built for, and servable to, any anonymous visitor
        return add_rate_limit_headers(request, response)

    @staticmethod
    def _private(request, response):
        """Not for a shared cache: marked private, with an ETag of its own content for a 304 next time."""
        if response.status_code == 200 and not response.streaming:
            patch_cache_control(response, private=True, max_age=0, must_revalidate=True)
            patch_vary_headers(response, ("Cookie", "Authorization"))
            if not response.has_header("ETag"):
                set_response_etag(response)
            conditional = get_conditional_response(request, etag=response["ETag"], response=response)
            if conditional is not response:
                return conditional
        return response


def _throttles_allow(request, view) -> bool:
    """Count the request against the DRF view's throttles, as the view would (anonymous, by address)."""
    from rest_framework.request import Request

    instance = view.cls(**getattr(view, "initkwargs", {}))
    throttles = instance.get_throttles()
    if not throttles:
        return True
    drf_request = Request(request)
    drf_request._user = AnonymousUser()  # is_anonymous_request(): no session and no credentials
    drf_request._auth = None
    instance.request = drf_request
    return all(throttle.allow_request(drf_request, instance) for throttle in throttles)
