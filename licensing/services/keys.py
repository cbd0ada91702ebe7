"""Ed25519 signing keys (rotated, retired) and the licence keys they sign (see licensing/verify.py)."""

import base64
import hashlib
import secrets
import uuid

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from subscriptions.interface import tier_feature_codes

from .. import verify
from ..models import Licence, LicenceKey, SigningKey
from ._common import ConflictError, LicensingError, record


def _fernet() -> Fernet:
    secret = getattr(settings, "LICENCE_SIGNING_SECRET", "") or settings.SECRET_KEY
    digest = hashlib.sha256(f"lyceum-licence-signing:{secret}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _private_key(key: SigningKey) -> Ed25519PrivateKey:
    raw = _fernet().decrypt(key.private_key.encode())
    return Ed25519PrivateKey.from_private_bytes(raw)


def _new_key_row(*, by, note: str) -> SigningKey:
    private = Ed25519PrivateKey.generate()
    raw_private = private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    raw_public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    kid = f"lk-{timezone.now():%Y%m%d}-{secrets.token_hex(4)}"
    return SigningKey.objects.create(
        kid=kid,
        public_key=verify.b64url_encode(raw_public),
        private_key=_fernet().encrypt(raw_private).decode(),
        status=SigningKey.Status.ACTIVE,
        created_by=by,
        note=note[:500],
    )


def signing_key() -> SigningKey:
    """The key that signs now; the first one is made on first use."""
    key = SigningKey.objects.filter(status=SigningKey.Status.ACTIVE).first()
    if key is not None:
        return key
    try:
        with transaction.atomic():
            return _new_key_row(by=None, note="First signing key, created on first use.")
    except IntegrityError:  # another process made it at the same moment
        return SigningKey.objects.get(status=SigningKey.Status.ACTIVE)


@transaction.atomic
def rotate(*, by, reason: str) -> SigningKey:
    """A new key signs from now on; the previous one keeps verifying (published) until it is retired."""
    reason = (reason or "").strip()
    if not reason:
        raise LicensingError("Give a reason for the rotation.", fields={"reason": ["Required."]})
    now = timezone.now()
    for old in SigningKey.objects.select_for_update().filter(status=SigningKey.Status.ACTIVE):
        old.status = SigningKey.Status.VERIFY_ONLY
        old.rotated_at = now
        old.note = f"Rotated: {reason}"[:500]
        old.save(update_fields=["status", "rotated_at", "note"])
    return _new_key_row(by=by, note=f"Rotation: {reason}")


def retire(key: SigningKey, *, by, reason: str) -> int:
    """Stop publishing a rotated key: keys it signed no longer verify, so every live licence's key that it
    signed is re-issued with the signing key first. Returns how many were re-issued."""
    reason = (reason or "").strip()
    if not reason:
        raise LicensingError("Give a reason for retiring the key.", fields={"reason": ["Required."]})
    with transaction.atomic():
        key = SigningKey.objects.select_for_update().get(pk=key.pk)
        if key.status == SigningKey.Status.ACTIVE:
            raise ConflictError("This key signs new licence keys: rotate first, then retire it.", code="key_active")
        if key.status == SigningKey.Status.RETIRED:
            return 0
        affected = list(
            Licence.objects.filter(keys__kid=key.kid, keys__superseded_at__isnull=True).exclude(
                status__in=Licence.ENDED_STATUSES
            )
        )
        for licence in affected:
            issue_licence_key(licence, reason=f"signing key {key.kid} retired")
        key.status = SigningKey.Status.RETIRED
        key.retired_at = timezone.now()
        key.note = f"Retired: {reason}"[:500]
        key.save(update_fields=["status", "retired_at", "note"])
    return len(affected)


def key_set() -> dict:
    """The published JSON Web Key Set: every key that still verifies, the signing key first."""
    keys = SigningKey.objects.filter(status__in=SigningKey.PUBLISHED_STATUSES).order_by("status", "-created_at")
    return {
        "keys": [
            {"kty": "OKP", "crv": "Ed25519", "alg": verify.ALGORITHM, "use": "sig", "kid": k.kid, "x": k.public_key}
            for k in keys
        ]
    }


def _digest(token: str) -> str:
    return hashlib.sha256(token.strip().encode()).hexdigest()


def payload_for(licence: Licence) -> dict:
    org = licence.organisation
    return {
        "iss": "lyceum",
        "lic": str(licence.public_id),
        "org": org.slug,
        "org_name": org.name,
        "seats": licence.seats,
        "tier": licence.tier_code,
        "features": tier_feature_codes(licence.tier_code),
        "term": licence.term_number,
        "iat": int(timezone.now().timestamp()),
        "nbf": int(licence.term_started_at.timestamp()),
        "exp": int(licence.ends_at.timestamp()),
    }


@transaction.atomic
def issue_licence_key(licence: Licence, *, reason: str = "") -> LicenceKey:
    """Sign the licence's current terms; the previous key is superseded (it keeps verifying offline until it
    expires, and online validation answers with the licence's current state)."""
    if licence.term_started_at is None or licence.ends_at is None:
        raise LicensingError("The licence has no term yet, so it has no key.", code="no_term")
    key = signing_key()
    header = {"alg": verify.ALGORITHM, "typ": verify.TOKEN_TYPE, "kid": key.kid}
    signed = verify.signing_input(header, payload_for(licence))
    token = signed.decode() + "." + verify.b64url_encode(_private_key(key).sign(signed))
    LicenceKey.objects.filter(licence=licence, superseded_at__isnull=True).update(superseded_at=timezone.now())
    issued = LicenceKey.objects.create(
        licence=licence, kid=key.kid, token=token, digest=_digest(token), expires_at=licence.ends_at
    )
    record(licence, "key_issued", reason=reason, kid=key.kid)
    return issued


def licence_for_key(token: str) -> tuple[Licence | None, str]:
    """(licence, "") when the token is one of our keys with a valid signature; else (None, why not).

    Online checks read the licence's state from our rows; the signature and the key's own expiry are checked
    as offline, except that a key past its `exp` still identifies its licence (the answer is then "expired")."""
    try:
        header, payload, signed, signature = verify.split(token)
        verify.verify(token, key_set(), now=payload.get("nbf", 0) if isinstance(payload.get("nbf"), int) else 0)
    except verify.InvalidLicenceKey as exc:
        return None, exc.message
    licence = (
        Licence.objects.select_related("organisation").filter(public_id=payload.get("lic")).first()
        if _is_uuid(payload.get("lic"))
        else None
    )
    if licence is None:
        return None, "No licence has this key."
    return licence, ""


def _is_uuid(value) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True
