"""Public and buyer pages: "Talk to sales", the quote page, invitations, the published licence keys. Thin:
services decide."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from billing.interface import format_money
from config.errors import DomainError

from . import selectors
from .forms import AcceptQuoteForm, QuoteRequestForm
from .models import Licence, Quote
from .services import keys, payments, quotes, seats


def request_quote(request):
    initial = (
        {"contact_email": request.user.email, "contact_name": request.user.name}
        if request.user.is_authenticated
        else {}
    )
    form = QuoteRequestForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        quotes.request_quote(
            company=data["company"],
            contact_name=data["contact_name"],
            contact_email=data["contact_email"],
            seats=data["seats"],
            term_months=data["term_months"],
            payment_method=data["payment_method"],
            message=data["message"],
            requested_by=request.user,
        )
        request.session["quote_requested_email"] = data["contact_email"]
        return redirect("licensing:quote_requested")
    return render(request, "licensing/request_quote.html", {"form": form})


def quote_requested(request):
    return render(
        request, "licensing/quote_requested.html", {"email": request.session.get("quote_requested_email", "")}
    )


def _quote_or_404(token: str) -> Quote:
    quote = selectors.quote_by_token(token)
    if quote is None:
        raise Http404("No such quote.")
    return quote


def quote_page(request, token):
    """The buyer's view of the quote: every version (the current one acceptable), then paying."""
    quote = _quote_or_404(token)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    current = selectors.current_version(quote)
    licence = getattr(quote.accepted_version, "licence", None) if quote.accepted_version_id else None
    form = AcceptQuoteForm(request.POST or None, initial={"version": current.pk if current else None})
    problem = ""
    if current is not None and quote.status != Quote.Status.ACCEPTED:
        try:
            quotes.acceptable_version(quote, current)
        except DomainError as exc:
            problem = exc.message
    if request.method == "POST":
        if form.is_valid():
            try:
                licence = quotes.accept_quote(
                    quote, version_id=form.cleaned_data["version"], user=request.user, accept_terms=True
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                return _pay(request, licence)
    return render(
        request,
        "licensing/quote.html",
        {
            "quote": quote,
            "versions": list(quote.versions.all()),
            "current": current,
            "problem": problem,
            "form": form,
            "licence": licence,
            "total": format_money(current.total, current.currency) if current else "",
        },
    )


def _pay(request, licence: Licence):
    try:
        start = payments.start_payment(licence, request.user)
    except DomainError as exc:
        messages.error(request, f"Your quote is accepted, but the payment could not start: {exc.message}")
        return redirect("licensing:org_billing", licence.organisation.slug)
    if licence.payment_method == "invoice":
        messages.success(
            request, "Your quote is accepted. We sent the invoice to your billing e-mail; it is due in 30 days."
        )
        return redirect("licensing:org_billing", licence.organisation.slug)
    return redirect(start.redirect_url)


@login_required
def invitation(request, token):
    seat = seats.invitation_for(token)
    if request.method == "POST":
        try:
            accepted = seats.accept_invitation(token, request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("licensing:invitation", token)
        messages.success(request, f"Welcome to {accepted.licence.organisation.name}: you now have Lyceum Enterprise.")
        return redirect("licensing:org_overview", accepted.licence.organisation.slug)
    problem = ""
    if seat is None or seat.status != seat.Status.INVITED:
        problem = "This invitation link is not valid or has already been used."
    elif seat.invitation_expires_at and seat.invitation_expires_at <= timezone.now():
        problem = "This invitation expired. Ask an admin of your organisation to send it again."
    elif seat.email != request.user.email.lower():
        problem = f"This invitation is for {seat.email}. Sign in with that address to accept it."
    status = 404 if seat is None else 200
    return render(request, "licensing/invitation.html", {"seat": seat, "problem": problem}, status=status)


@require_GET
@cache_control(public=True, max_age=300)
def licence_keys(request):
    """The public keys that verify licence keys (a JSON Web Key Set), for offline checks."""
    return JsonResponse(keys.key_set())
