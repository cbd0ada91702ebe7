from django.conf import settings
from django.db import models
from django.db.models import Q

from .licences import Licence
from .organisations import Organisation


class SigningKey(models.Model):
    """An Ed25519 key that signs licence keys. One signs at a time; older ones keep verifying until retired."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Signing"
        VERIFY_ONLY = "verify_only", "Verifying only"
        RETIRED = "retired", "Retired"

    PUBLISHED_STATUSES = (Status.ACTIVE, Status.VERIFY_ONLY)

    kid = models.CharField("key id", max_length=40, unique=True)
    public_key = models.CharField(max_length=64, help_text="Raw public key, base64url.")
    private_key = models.TextField(help_text="Encrypted with a key derived from LICENCE_SIGNING_SECRET.")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    rotated_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True, help_text="Why it was created, rotated or retired.")

    class Meta:
        ordering = ["-created_at"]
        permissions = [("rotate_signing_key", "Can rotate and retire licence signing keys")]
        constraints = [
            models.UniqueConstraint(fields=["status"], condition=Q(status="active"), name="licensing_one_signing_key"),
        ]

    def __str__(self) -> str:
        return f"{self.kid} ({self.get_status_display()})"


class LicenceKey(models.Model):
    """A signed licence key as issued. Re-issued when the seats or the term change."""

    licence = models.ForeignKey(Licence, on_delete=models.CASCADE, related_name="keys")
    kid = models.CharField(max_length=40)
    token = models.TextField()
    digest = models.CharField(max_length=64, unique=True)
    issued_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-issued_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["licence"], condition=Q(superseded_at__isnull=True), name="licensing_one_current_key"
            ),
        ]

    def __str__(self) -> str:
        return f"key {self.kid} for licence {self.licence_id}"


class Activation(models.Model):
    """A licence key bound to one installation of the customer's integration (Keygen's machine)."""

    licence = models.ForeignKey(Licence, on_delete=models.CASCADE, related_name="activations")
    fingerprint = models.CharField(max_length=200)
    name = models.CharField(max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    deactivated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["licence", "fingerprint"],
                condition=Q(deactivated_at__isnull=True),
                name="licensing_one_live_activation_per_fingerprint",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.fingerprint[:16]})"

    @property
    def is_active(self) -> bool:
        return self.deactivated_at is None


class OrganisationAPIKey(models.Model):
    """A key an org admin creates for their HR tools. Only its SHA-256 digest is stored; shown once."""

    PREFIX = "lyo_"

    class Scope(models.TextChoices):
        SEATS_READ = "seats:read", "Read seats"
        SEATS_WRITE = "seats:write", "Provision and revoke seats"

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=60)
    prefix = models.CharField(max_length=16)
    digest = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "organisation API key"
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"],
                condition=Q(revoked_at__isnull=True),
                name="licensing_unique_active_org_key_name",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def allows(self, scope: str) -> bool:
        return scope in (self.scopes or [])
