"""config.middleware.CSPMiddleware: django-csp's headers, built once, exactly as django-csp builds them."""

import copy

import pytest
from csp.constants import HEADER, HEADER_REPORT_ONLY, NONCE
from csp.middleware import CSPMiddleware as DjangoCSPMiddleware
from django.conf import settings
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from config.middleware import CSPMiddleware


def respond(middleware_class, response=None, **request_attributes):
    request = RequestFactory().get("/somewhere/")
    middleware = middleware_class(lambda r: response or HttpResponse("ok"))
    for name, value in request_attributes.items():
        setattr(request, name, value)
    middleware.process_request(request)
    return request, middleware.process_response(request, response or HttpResponse("ok"))


def test_the_same_headers_as_django_csp():
    _, ours = respond(CSPMiddleware)
    _, theirs = respond(DjangoCSPMiddleware)
    assert ours[HEADER] == theirs[HEADER]
    assert ours.get(HEADER_REPORT_ONLY) == theirs.get(HEADER_REPORT_ONLY)


def test_a_page_that_used_the_nonce_gets_it_in_its_header():
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    policy["DIRECTIVES"]["script-src"] = ["'self'", NONCE]
    with override_settings(CONTENT_SECURITY_POLICY=policy):
        request = RequestFactory().get("/")
        middleware = CSPMiddleware(lambda r: HttpResponse("ok"))
        middleware.process_request(request)
        nonce = str(request.csp_nonce)
        response = middleware.process_response(request, HttpResponse("ok"))
        assert f"'nonce-{nonce}'" in response[HEADER]
        _, plain = respond(CSPMiddleware)
        _, theirs = respond(DjangoCSPMiddleware)
    assert "nonce-" not in plain[HEADER] and plain[HEADER] == theirs[HEADER]


def test_a_view_override_and_an_exemption_are_honoured():
    response = HttpResponse("ok")
    response._csp_update = {"img-src": ["https://images.example"]}
    _, updated = respond(CSPMiddleware, response=response)
    assert "https://images.example" in updated[HEADER]
    exempt = HttpResponse("ok")
    exempt._csp_exempt = True
    _, answered = respond(CSPMiddleware, response=exempt)
    assert HEADER not in answered


def test_a_settings_change_is_seen():
    _, before = respond(CSPMiddleware)
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    policy["DIRECTIVES"]["img-src"] = ["'self'", "https://cdn.example"]
    with override_settings(CONTENT_SECURITY_POLICY=policy):
        _, during = respond(CSPMiddleware)
    _, after = respond(CSPMiddleware)
    assert "https://cdn.example" in during[HEADER]
    assert after[HEADER] == before[HEADER] and "https://cdn.example" not in after[HEADER]


@pytest.mark.django_db
def test_every_page_still_carries_the_policy(client):
    response = client.get("/healthz")
    assert response[HEADER] == respond(DjangoCSPMiddleware)[1][HEADER]
