"""Licence keys: Ed25519-signed, checked offline with the published key set, rotation and retirement."""

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone

from licensing import verify
from licensing.models import SigningKey
from licensing.services import keys, licences

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def _tamper(token: str, **changes) -> str:
    header, payload, signature = token.split(".")
    data = json.loads(verify.b64url_decode(payload))
    data.update(changes)
    forged = verify.b64url_encode(json.dumps(data, separators=(",", ":"), sort_keys=True).encode())
    return f"{header}.{forged}.{signature}"


def test_a_key_verifies_offline_and_says_what_the_licence_is(licence):
    token = keys.issue_licence_key(licence).token
    payload = verify.verify(token, keys.key_set())
    assert payload["lic"] == str(licence.public_id) and payload["org"] == "acme" and payload["seats"] == 10
    assert payload["tier"] == "enterprise" and "priority_support" in payload["features"]
    assert payload["exp"] == int(licence.ends_at.timestamp()) and payload["nbf"] == int(
        licence.term_started_at.timestamp()
    )


def test_tampered_forged_or_malformed_keys_are_refused(licence):
    token = keys.issue_licence_key(licence).token
    for bad, code in [
        (_tamper(token, seats=10_000), "bad_signature"),
        (token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB"), "bad_signature"),
        ("not.a.key", "malformed"),
        ("", "malformed"),
        (token.replace(".", "", 1), "malformed"),
    ]:
        with pytest.raises(verify.InvalidLicenceKey) as exc:
            verify.verify(bad, keys.key_set())
        assert exc.value.code == code, bad


def test_an_expired_key_is_refused(licence):
    token = keys.issue_licence_key(licence).token
    with pytest.raises(verify.InvalidLicenceKey) as exc:
        verify.verify(token, keys.key_set(), now=licence.ends_at.timestamp() + 3600)
    assert exc.value.code == "expired"
    with pytest.raises(verify.InvalidLicenceKey) as exc:
        verify.verify(token, keys.key_set(), now=licence.term_started_at.timestamp() - 3600)
    assert exc.value.code == "not_yet_valid"


def test_rotation_keeps_old_keys_verifying_until_the_old_signing_key_is_retired(licence, org):
    old_token = keys.issue_licence_key(licence).token
    old = SigningKey.objects.get()
    new = keys.rotate(by=None, reason="Yearly rotation")
    published = [k["kid"] for k in keys.key_set()["keys"]]
    assert published == [new.kid, old.kid]
    assert verify.verify(old_token, keys.key_set())  # still verifies
    assert verify.split(keys.issue_licence_key(licence).token)[0]["kid"] == new.kid
    with pytest.raises(Exception):  # noqa: B017 - the signing key cannot be retired
        keys.retire(new, by=None, reason="no")
    reissued = keys.retire(old, by=None, reason="Compromised laptop")
    assert [k["kid"] for k in keys.key_set()["keys"]] == [new.kid]
    with pytest.raises(verify.InvalidLicenceKey) as exc:
        verify.verify(old_token, keys.key_set())
    assert exc.value.code == "unknown_key"
    assert reissued == 0  # the licence's current key was already signed by the new key


def test_retiring_a_key_reissues_the_live_keys_it_signed(licence):
    keys.issue_licence_key(licence)
    old = SigningKey.objects.get()
    new = keys.rotate(by=None, reason="Rotation")
    assert keys.retire(old, by=None, reason="Done") == 1
    current = licence.keys.get(superseded_at__isnull=True)
    assert current.kid == new.kid and verify.verify(current.token, keys.key_set())


def test_extending_the_licence_reissues_its_key(licence):
    first = keys.issue_licence_key(licence)
    until = licence.ends_at + timedelta(days=60)
    licences.extend(licence, until=until, by=None, reason="Goodwill")
    current = licence.keys.get(superseded_at__isnull=True)
    assert current.pk != first.pk and verify.verify(current.token, keys.key_set())["exp"] == int(until.timestamp())


def test_the_key_set_is_published_at_a_well_known_address(client, licence):
    keys.issue_licence_key(licence)
    response = client.get("/.well-known/lyceum-licence-keys.json")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    jwk = response.json()["keys"][0]
    assert jwk["kty"] == "OKP" and jwk["crv"] == "Ed25519" and jwk["alg"] == "EdDSA" and "d" not in jwk


def test_the_private_key_is_stored_encrypted():
    key = keys.signing_key()
    assert key.public_key not in key.private_key and len(key.private_key) > 80


def test_the_command_line_verifier_needs_no_django(licence, tmp_path):
    token = keys.issue_licence_key(licence).token
    key_file = tmp_path / "keys.json"
    key_file.write_text(json.dumps(keys.key_set()))
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}  # no DJANGO_SETTINGS_MODULE
    ok = subprocess.run(
        [sys.executable, "-m", "licensing.verify", token, "--keys", str(key_file)],
        capture_output=True,
        text=True,
        env=env,
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["licence"]["org"] == "acme"
    assert "django" not in ok.stderr.lower()
    bad = subprocess.run(
        [sys.executable, "-m", "licensing.verify", _tamper(token, seats=99), "--keys", str(key_file)],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert bad.returncode == 1 and json.loads(bad.stdout)["code"] == "bad_signature"
    usage = subprocess.run(
        [sys.executable, "-m", "licensing.verify", token, "--keys", str(tmp_path / "missing.json")],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert usage.returncode == 2


def test_verifier_imports_nothing_from_django():
    source = (ROOT / "licensing" / "verify.py").read_text()
    assert "django" not in source.replace("no Django", "")


def test_keys_follow_time_travel_expiry(licence):
    token = keys.issue_licence_key(licence).token
    with time_machine.travel(licence.ends_at + timedelta(minutes=5)):
        with pytest.raises(verify.InvalidLicenceKey):
            verify.verify(token, keys.key_set())
    assert timezone.now() < licence.ends_at
