"""An organisation's own pages: overview, members, seats, billing, integrations. Members see the overview;
owners and admins manage the rest of their own organisation only (anyone else gets 404)."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from billing.interface import format_money
from config.errors import DomainError

from . import selectors
from .forms import (
    CancelRenewalForm,
    CsvImportForm,
    DomainForm,
    InviteForm,
    OrgAPIKeyForm,
    RevokeForm,
    RoleForm,
    SeatChangeForm,
)
from .models import Licence
from .services import api_keys, licences, organisations, payments, renewals, seats, usage


def org_page(*, admin: bool):
    """The view gets (request, membership, licence); outsiders get 404, members on admin pages 403."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, slug, *args, **kwargs):
            membership = selectors.membership(request.user, slug)
            if membership is None:
                raise Http404("No such organisation.")
            if admin and not membership.is_admin:
                raise PermissionDenied("Only the organisation's owners and admins can open this page.")
            licence = selectors.current_licence(membership.organisation)
            return view(request, membership, licence, *args, **kwargs)

        return wrapped

    return decorator


def _context(membership, licence, tab: str, **extra) -> dict:
    return {"membership": membership, "org": membership.organisation, "licence": licence, "tab": tab, **extra}


def _done(request, call, success: str):
    """Run a service call; a refusal becomes an error message, a success the given one."""
    try:
        result = call()
    except DomainError as exc:
        messages.error(request, exc.message)
        return None
    messages.success(request, success.format(result=result) if "{result" in success else success)
    return result


@login_required
def my_organisations(request):
    memberships = list(selectors.memberships_of(request.user))
    if len(memberships) == 1:
        return redirect("licensing:org_overview", memberships[0].organisation.slug)
    return render(request, "licensing/org_list.html", {"memberships": memberships})


@org_page(admin=False)
def overview(request, membership, licence):
    counts = selectors.seat_counts(licence) if licence else {}
    return render(
        request,
        "licensing/org_overview.html",
        _context(
            membership,
            licence,
            "overview",
            counts=counts,
            member_count=selectors.members(membership.organisation).count(),
        ),
    )


@org_page(admin=True)
def members(request, membership, licence):
    return render(
        request,
        "licensing/org_members.html",
        _context(
            membership,
            licence,
            "members",
            members=selectors.members(membership.organisation),
            domains=membership.organisation.domains.all(),
            domain_form=DomainForm(),
        ),
    )


@org_page(admin=True)
@require_POST
def set_role(request, membership, licence, member_id):
    form = RoleForm(request.POST)
    if form.is_valid():
        _done(
            request,
            lambda: organisations.set_role(
                membership.organisation,
                actor_membership=membership,
                member_id=member_id,
                role=form.cleaned_data["role"],
            ),
            "Role changed.",
        )
    return redirect("licensing:org_members", membership.organisation.slug)


@org_page(admin=True)
@require_POST
def add_domain(request, membership, licence):
    form = DomainForm(request.POST)
    if form.is_valid():
        _done(
            request,
            lambda: organisations.add_domain(
                membership.organisation, form.cleaned_data["domain"], auto_seat=form.cleaned_data["auto_seat"]
            ),
            "Domain added. We will verify it and tell you when it is active.",
        )
    else:
        messages.error(request, "Enter a domain such as example.com.")
    return redirect("licensing:org_members", membership.organisation.slug)


@org_page(admin=True)
def seats_page(request, membership, licence):
    return _render_seats(request, membership, licence)


def _render_seats(request, membership, licence, *, invite_form=None, csv_form=None, csv_errors=None, status=200):
    context = _context(
        membership,
        licence,
        "seats",
        invite_form=invite_form or InviteForm(),
        csv_form=csv_form or CsvImportForm(),
        csv_errors=csv_errors or [],
        revoke_form=RevokeForm(),
    )
    if licence is not None:
        context.update(
            active=selectors.seats(licence, statuses=["active"]),
            pending=selectors.pending_invitations(licence),
            revocations_left=selectors.revocations_left(licence),
            revocation_cap=selectors.revocation_cap(licence),
        )
    return render(request, "licensing/org_seats.html", context, status=status)


def _licence_or_404(licence: Licence | None) -> Licence:
    if licence is None:
        raise Http404("This organisation has no licence yet.")
    return licence


@org_page(admin=True)
@require_POST
def invite(request, membership, licence):
    licence = _licence_or_404(licence)
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            seat, _ = seats.invite(licence, form.cleaned_data["email"], by=request.user)
        except DomainError as exc:
            form.add_error("email", exc.message)
        else:
            messages.success(request, f"Invitation sent to {seat.email}.")
            return redirect("licensing:org_seats", membership.organisation.slug)
    return _render_seats(request, membership, licence, invite_form=form, status=400)


@org_page(admin=True)
@require_POST
def import_csv(request, membership, licence):
    licence = _licence_or_404(licence)
    form = CsvImportForm(request.POST, request.FILES)
    errors = []
    if form.is_valid():
        try:
            result = seats.import_csv(licence, form.cleaned_data["file"], by=request.user)
        except DomainError as exc:
            form.add_error("file", exc.message)
        else:
            if result.ok:
                messages.success(request, f"{len(result.invited)} invitation(s) sent.")
                return redirect("licensing:org_seats", membership.organisation.slug)
            errors = result.errors
            form.add_error("file", f"Nothing was imported: {len(errors)} row(s) need fixing (listed below).")
    return _render_seats(request, membership, licence, csv_form=form, csv_errors=errors, status=400)


@org_page(admin=True)
@require_POST
def seat_action(request, membership, licence, seat_id, action):
    licence = _licence_or_404(licence)
    if action == "resend":
        _done(request, lambda: seats.resend_invitation(licence, seat_id, by=request.user), "Invitation sent again.")
    elif action == "cancel":
        _done(request, lambda: seats.cancel_invitation(licence, seat_id, by=request.user), "Invitation cancelled.")
    elif action == "revoke":
        form = RevokeForm(request.POST)
        reason = form.cleaned_data["reason"] if form.is_valid() else ""
        _done(
            request,
            lambda: seats.revoke(licence, seat_id, by=request.user, reason=reason),
            "Seat revoked: {result.email} no longer has Enterprise access.",
        )
    else:
        raise Http404
    return redirect("licensing:org_seats", membership.organisation.slug)


@org_page(admin=True)
def billing(request, membership, licence):
    return render(
        request,
        "licensing/org_billing.html",
        _context(
            membership,
            licence,
            "billing",
            seat_form=SeatChangeForm(initial={"seats": licence.seats} if licence else None),
            term_amount=format_money(licence.unit_amount * licence.seats, licence.currency) if licence else "",
            events=licence.events.select_related("actor")[:20] if licence else [],
            renewal=renewals.preview(licence) if licence and licence.ends_at else None,
            cancel_form=CancelRenewalForm(),
        ),
    )


@org_page(admin=True)
@require_POST
def cancel_renewal(request, membership, licence):
    """Cancel at the term's end (with the reason), or take that back."""
    licence = _licence_or_404(licence)
    if request.POST.get("resume"):
        _done(request, lambda: renewals.resume(licence, by=request.user), "The licence will renew.")
    else:
        form = CancelRenewalForm(request.POST)
        reason = form.cleaned_data["reason"] if form.is_valid() else ""
        _done(
            request,
            lambda: renewals.cancel_at_term_end(licence, by=request.user, reason=reason),
            "The licence will end at the end of its term; members keep access until then.",
        )
    return redirect("licensing:org_billing", membership.organisation.slug)


@org_page(admin=True)
@require_POST
def pay(request, membership, licence):
    licence = _licence_or_404(licence)
    try:
        start = payments.start_payment(licence, request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("licensing:org_billing", membership.organisation.slug)
    if start.redirect_url:
        return redirect(start.redirect_url)
    return redirect("licensing:org_billing", membership.organisation.slug)


@org_page(admin=True)
def seat_change(request, membership, licence):
    """GET: the preview (what it costs now, or from when); POST: apply it."""
    licence = _licence_or_404(licence)
    form = SeatChangeForm(request.POST if request.method == "POST" else request.GET)
    slug = membership.organisation.slug
    if not form.is_valid():
        messages.error(request, "Choose a number of seats from 1 to 10,000.")
        return redirect("licensing:org_billing", slug)
    new_seats = form.cleaned_data["seats"]
    if request.method == "POST":
        _done(
            request,
            lambda: licences.change_seats(
                licence, new_seats, proration_date=form.cleaned_data.get("proration_date"), by=request.user
            ),
            "Seats changed.",
        )
        return redirect("licensing:org_billing", slug)
    try:
        preview = licences.preview_seat_change(licence, new_seats)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("licensing:org_billing", slug)
    return render(request, "licensing/org_seat_change.html", _context(membership, licence, "billing", preview=preview))


@org_page(admin=True)
def integrations(request, membership, licence):
    org = membership.organisation
    return render(
        request,
        "licensing/org_integrations.html",
        _context(
            membership,
            licence,
            "integrations",
            key=selectors.current_key(licence) if licence else None,
            activations=selectors.live_activations(licence) if licence else [],
            api_keys=selectors.api_keys(org),
            key_form=OrgAPIKeyForm(),
            new_key=request.session.pop("new_org_api_key", None),
        ),
    )


@org_page(admin=True)
@require_POST
def create_api_key(request, membership, licence):
    form = OrgAPIKeyForm(request.POST)
    org = membership.organisation
    if form.is_valid():
        try:
            key, raw = api_keys.create_key(
                org, name=form.cleaned_data["name"], scopes=form.cleaned_data["scopes"], by=request.user
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            request.session["new_org_api_key"] = {"name": key.name, "secret": raw}
            messages.success(request, f"API key “{key.name}” created. Copy it now: it will not be shown again.")
    else:
        messages.error(request, "Give the key a name and choose what it may do.")
    return redirect("licensing:org_integrations", org.slug)


@org_page(admin=True)
@require_POST
def revoke_api_key(request, membership, licence, key_id):
    _done(request, lambda: api_keys.revoke_key(membership.organisation, key_id, by=request.user), "API key revoked.")
    return redirect("licensing:org_integrations", membership.organisation.slug)


@org_page(admin=True)
def usage_page(request, membership, licence):
    figures = usage.usage(membership.organisation)
    peak = max([calls for _, calls in figures.api_calls] + [figures.api_calls_limit or 0, 1])
    bars = [{"month": month, "calls": calls, "pct": round(100 * calls / peak)} for month, calls in figures.api_calls]
    return render(
        request, "licensing/org_usage.html", _context(membership, licence, "usage", figures=figures, bars=bars)
    )


@org_page(admin=True)
def usage_csv(request, membership, licence):
    org = membership.organisation
    response = HttpResponse(usage.usage_csv(org), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{org.slug}-usage.csv"'
    return response
