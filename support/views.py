"""Support pages: the help page with the contact form, and for people with priority support their tickets.
Thin: services decide, selectors read."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from config.errors import DomainError

from . import emails, selectors, services
from .forms import ContactForm, RatingForm, ReplyForm, TicketForm


def help_page(request):
    """Everyone: answers and the contact form; people with priority support: their tickets."""
    who = services.eligibility(request.user)
    initial = {"name": request.user.name, "email": request.user.email} if request.user.is_authenticated else {}
    form = ContactForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        emails.send_after_commit("contact", [settings.SUPPORT_CONTACT_EMAIL], reply_to=data["email"], **data)
        messages.success(request, "Thank you: we read every message and answer by e-mail.")
        return redirect("support:help")
    tickets = list(selectors.visible_tickets(request.user)[:50]) if who else []
    return render(request, "support/help.html", {"eligible": who is not None, "form": form, "tickets": tickets})


@login_required
def new_ticket(request):
    if services.eligibility(request.user) is None:
        return redirect("support:help")
    form = TicketForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ticket = services.open_ticket(
                request.user,
                subject=data["subject"],
                description=data["description"],
                priority=data["priority"],
                attachment=data["attachment"],
            )
        except DomainError as exc:
            form.add_error("attachment" if exc.code.startswith("attachment") else None, exc.message)
        else:
            messages.success(request, f"Ticket {ticket.reference} opened. We will answer by e-mail and here.")
            return redirect("support:ticket", ticket.pk)
    return render(request, "support/new_ticket.html", {"form": form}, status=400 if form.errors else 200)


def _ticket_or_404(request, ticket_id):
    ticket = selectors.customer_ticket(request.user, ticket_id)
    if ticket is None:
        raise Http404("No such ticket.")
    return ticket


@login_required
def ticket_page(request, ticket_id):
    ticket = _ticket_or_404(request, ticket_id)
    return render(
        request,
        "support/ticket.html",
        {"ticket": ticket, "reply_form": ReplyForm(), "rating_form": RatingForm()},
    )


@login_required
@require_POST
def reply(request, ticket_id):
    ticket = _ticket_or_404(request, ticket_id)
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            services.customer_reply(ticket, author=request.user, body=form.cleaned_data["body"])
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Reply sent.")
    else:
        messages.error(request, "Write your reply first.")
    return redirect("support:ticket", ticket.pk)


@login_required
@require_POST
def update(request, ticket_id):
    """Mark solved, reopen, or rate."""
    ticket = _ticket_or_404(request, ticket_id)
    try:
        if "rating" in request.POST:
            form = RatingForm(request.POST)
            if not form.is_valid():
                messages.error(request, "Choose a rating from 1 to 5.")
                return redirect("support:ticket", ticket.pk)
            services.customer_update(
                ticket, by=request.user, rating=form.cleaned_data["rating"], comment=form.cleaned_data["comment"]
            )
            messages.success(request, "Thank you for rating our answer.")
        elif request.POST.get("status") in services.CUSTOMER_STATUSES:
            services.customer_update(ticket, by=request.user, status=request.POST["status"])
            messages.success(request, "Ticket updated.")
        else:
            messages.error(request, "Nothing to change.")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("support:ticket", ticket.pk)
