"""The online licence check: activate a key on an installation (at most `max_activations`), validate it,
free an activation. The key itself is the credential."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from subscriptions.interface import tier_feature_codes

from ..models import Activation, Licence
from . import keys
from ._common import ConflictError, LicensingError, NotFoundError, record


@dataclass
class Validation:
    status: str  # valid | expired | suspended | revoked | unknown | pending
    message: str
    licence: Licence | None = None
    features: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return self.status == "valid"


STATUS_MESSAGES = {
    "valid": "The licence is valid.",
    "expired": "The licence has expired.",
    "suspended": "The licence is suspended.",
    "revoked": "The licence was cancelled.",
    "pending": "The licence is waiting for its payment.",
}


def state_of(licence: Licence, now: datetime | None = None) -> str:
    now = now or timezone.now()
    if licence.status == Licence.Status.CANCELLED:
        return "revoked"
    if licence.status == Licence.Status.EXPIRED or (licence.ends_at and licence.ends_at <= now):
        return "expired"
    if licence.status == Licence.Status.SUSPENDED:
        return "suspended"
    if licence.status == Licence.Status.PENDING_PAYMENT:
        return "pending"
    return "valid"


def validate(token: str, *, fingerprint: str = "") -> Validation:
    licence, problem = keys.licence_for_key(token)
    if licence is None:
        return Validation("unknown", problem or "This is not a Lyceum licence key.")
    status = state_of(licence)
    if fingerprint and status == "valid":
        Activation.objects.filter(licence=licence, fingerprint=fingerprint, deactivated_at__isnull=True).update(
            last_seen_at=timezone.now()
        )
    return Validation(status, STATUS_MESSAGES[status], licence, tier_feature_codes(licence.tier_code))


def _clean(value: str, name: str, limit: int) -> str:
    value = (value or "").strip() if isinstance(value, str) else ""
    if not value:
        raise LicensingError(f"Send the installation's {name}.", fields={name: ["Required."]})
    if len(value) > limit:
        raise LicensingError(f"The {name} is at most {limit} characters.", fields={name: ["Too long."]})
    return value


def activate(token: str, *, fingerprint: str, name: str) -> tuple[Activation, bool]:
    """Bind the key to an installation; the same fingerprint again returns its activation (created=False)."""
    fingerprint = _clean(fingerprint, "fingerprint", 200)
    name = _clean(name, "name", 120)
    licence, problem = keys.licence_for_key(token)
    if licence is None:
        raise LicensingError(problem or "This is not a Lyceum licence key.", code="invalid_key", status_code=400)
    status = state_of(licence)
    if status != "valid":
        raise ConflictError(STATUS_MESSAGES[status] + " It cannot be activated.", code=f"licence_{status}")
    with transaction.atomic():
        licence = Licence.objects.select_for_update().get(pk=licence.pk)
        live = Activation.objects.filter(licence=licence, deactivated_at__isnull=True)
        existing = live.filter(fingerprint=fingerprint).first()
        if existing is not None:
            existing.last_seen_at = timezone.now()
            existing.save(update_fields=["last_seen_at"])
            return existing, False
        if live.count() >= licence.max_activations:
            raise ConflictError(
                f"This licence is active on {licence.max_activations} installations already, its limit. "
                "Deactivate one first.",
                code="activation_limit_reached",
            )
        activation = Activation.objects.create(
            licence=licence, fingerprint=fingerprint, name=name, last_seen_at=timezone.now()
        )
        record(licence, "activation_added", name=name, fingerprint=fingerprint[:40])
    return activation, True


def deactivate(token: str, activation_id: int) -> Activation:
    licence, problem = keys.licence_for_key(token)
    if licence is None:
        raise LicensingError(problem or "This is not a Lyceum licence key.", code="invalid_key", status_code=401)
    with transaction.atomic():
        activation = (
            Activation.objects.select_for_update().filter(pk=activation_id, licence=licence).first()
            if isinstance(activation_id, int)
            else None
        )
        if activation is None:
            raise NotFoundError("This licence has no such activation.")
        if activation.deactivated_at is None:
            activation.deactivated_at = timezone.now()
            activation.save(update_fields=["deactivated_at"])
            record(licence, "activation_removed", name=activation.name)
    return activation
