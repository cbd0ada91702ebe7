"""Organisations, their members and roles, and their e-mail domains."""

import re

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from ..models import Membership, Organisation, OrganisationDomain
from ..models.organisations import ADMIN_ROLES
from ._common import LicensingError, NotFoundError

Role = Membership.Role


def _unique_slug(name: str) -> str:
    base = slugify(name)[:50].strip("-") or "organisation"
    slug, n = base, 1
    while Organisation.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def create_organisation(*, name: str, billing_email: str, owner, tax_id: str = "") -> Organisation:
    name = (name or "").strip()
    if not name:
        raise LicensingError("Give the organisation a name.", fields={"name": ["Required."]})
    for _ in range(5):  # two organisations of the same name created at once: the loser takes the next slug
        try:
            with transaction.atomic():
                org = Organisation.objects.create(
                    name=name[:120], slug=_unique_slug(name), billing_email=billing_email, tax_id=tax_id[:40]
                )
            break
        except IntegrityError:
            continue
    else:
        raise LicensingError("Could not choose an address for the organisation; try again.")
    Membership.objects.create(organisation=org, user=owner, role=Role.OWNER)
    return org


def ensure_member(org: Organisation, user, role: str = Role.MEMBER) -> Membership:
    """The user's membership, created with `role` if they had none (a role is never lowered here)."""
    membership, _ = Membership.objects.get_or_create(organisation=org, user=user, defaults={"role": role})
    if role in ADMIN_ROLES and membership.role == Role.MEMBER:
        membership.role = role
        membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def set_role(org: Organisation, *, actor_membership: Membership, member_id: int, role: str) -> Membership:
    """Owners and admins make members admins and back; only an owner touches an owner or makes one."""
    if role not in Role.values:
        raise LicensingError("Choose owner, admin or member.", fields={"role": ["Invalid."]})
    target = Membership.objects.select_for_update().filter(organisation=org, pk=member_id).first()
    if target is None:
        raise NotFoundError("That person is not a member of this organisation.")
    if Role.OWNER in (role, target.role) and actor_membership.role != Role.OWNER:
        raise LicensingError("Only an owner can make someone an owner or change an owner's role.", status_code=403)
    if target.role == Role.OWNER and role != Role.OWNER:
        owners = Membership.objects.filter(organisation=org, role=Role.OWNER).count()
        if owners <= 1:
            raise LicensingError("The organisation needs an owner: make someone else owner first.", code="last_owner")
    target.role = role
    target.save(update_fields=["role"])
    return target


# E-mail domains ------------------------------------------------------------------------------------

_DOMAIN = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$")
PUBLIC_DOMAINS = {"gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "yahoo.com", "icloud.com", "proton.me"}


def normalise_domain(value: str) -> str:
    domain = (value or "").strip().lower().lstrip("@").rstrip(".")
    if not _DOMAIN.match(domain) or len(domain) > 253:
        raise LicensingError("Enter a domain such as example.com.", fields={"domain": ["Not a domain."]})
    if domain in PUBLIC_DOMAINS:
        raise LicensingError(
            f"{domain} is a public mail service: anyone can have an address there.", fields={"domain": ["Public."]}
        )
    return domain


def add_domain(org: Organisation, domain: str, *, auto_seat: bool = False) -> OrganisationDomain:
    domain = normalise_domain(domain)
    try:
        with transaction.atomic():
            return OrganisationDomain.objects.create(organisation=org, domain=domain, auto_seat=auto_seat)
    except IntegrityError:
        raise LicensingError(f"{domain} is already registered.", fields={"domain": ["Already registered."]})


def verify_domain(domain: OrganisationDomain, *, by, note: str) -> OrganisationDomain:
    """Staff confirm the organisation controls the domain (e.g. after a DNS check), with a note."""
    note = (note or "").strip()
    if not note:
        raise LicensingError("Say how the domain was verified.", fields={"note": ["Required."]})
    OrganisationDomain.objects.filter(pk=domain.pk, verified_at__isnull=True).update(
        verified_at=timezone.now(), verified_by=by, verification_note=note[:255]
    )
    domain.refresh_from_db()
    return domain
