"""Issue 19 hardening: /.well-known/security.txt (RFC 9116)."""

from datetime import UTC, datetime, timedelta

from django.utils import timezone


def test_security_txt_names_a_contact_and_a_future_expiry(client, settings):
    settings.SECURITY_CONTACT = "mailto:security@example.org"
    settings.SITE_URL = "https://lyceum.example"
    response = client.get("/.well-known/security.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    fields = dict(line.split(": ", 1) for line in response.content.decode().splitlines())
    assert fields["Contact"] == "mailto:security@example.org"
    assert fields["Canonical"] == "https://lyceum.example/.well-known/security.txt"
    expires = datetime.strptime(fields["Expires"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert timezone.now() + timedelta(days=30) < expires < timezone.now() + timedelta(days=365)
    assert "Policy" not in fields
    settings.SECURITY_POLICY_URL = "https://lyceum.example/security/"
    assert "Policy: https://lyceum.example/security/" in client.get("/.well-known/security.txt").content.decode()


def test_security_txt_is_get_only(client):
    assert client.post("/.well-known/security.txt").status_code == 405
