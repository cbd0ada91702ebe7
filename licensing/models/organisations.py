from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower


class Organisation(models.Model):
    """A customer company. Issue 16's branding and custom domains hang off it as their own rows."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    billing_email = models.EmailField("billing e-mail")
    tax_id = models.CharField("tax id", max_length=40, blank=True)
    stripe_customer_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    MEMBER = "member", "Member"


ADMIN_ROLES = (Role.OWNER, Role.ADMIN)


class Membership(models.Model):
    """A person in an organisation. Owners and admins manage it (their own organisation only)."""

    Role = Role

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="org_memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organisation", "user__email"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "user"], name="licensing_one_membership_per_org"),
        ]
        indexes = [models.Index(fields=["user", "role"])]

    def __str__(self) -> str:
        return f"{self.user} in {self.organisation} ({self.get_role_display()})"

    @property
    def is_admin(self) -> bool:
        return self.role in ADMIN_ROLES


class OrganisationDomain(models.Model):
    """An e-mail domain of the organisation. Once staff verified it, sign-ups on it may get a seat."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(max_length=253)
    auto_seat = models.BooleanField(
        "free seat on sign-up", default=False, help_text="Anyone who signs up with this verified domain gets a seat."
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    verification_note = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["domain"]
        permissions = [("verify_domain", "Can verify an organisation's e-mail domain")]
        constraints = [
            models.UniqueConstraint(Lower("domain"), name="licensing_domain_unique"),
            models.CheckConstraint(
                condition=Q(domain__regex=r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$"),
                name="licensing_domain_lowercase_hostname",
            ),
            models.CheckConstraint(
                condition=Q(verified_at__isnull=True) | ~Q(verification_note=""),
                name="licensing_domain_verification_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.domain

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None
