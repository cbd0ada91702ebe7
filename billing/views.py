from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from config.errors import DomainError
from operations.interface import metrics

from . import registry, selectors, services, webhooks
from .models import Payment


def _visible_payment(request, pk) -> Payment:
    payment = selectors.payments_for(request.user).filter(pk=pk).first()
    if payment is None:
        raise Http404("No such payment.")
    return payment


@login_required
def payment_status(request, pk):
    """Where Checkout returns: 'processing' until the webhook is processed, then success or the failure."""
    payment = _visible_payment(request, pk)
    session_id = request.GET.get("session_id", "")
    back = services.returned_from_checkout(payment, session_id)
    payment = back.payment
    canceled = request.GET.get("canceled") == "1" and payment.status in (Payment.Status.PENDING, Payment.Status.FAILED)
    processing = back.processing
    purpose = registry.get_purpose(payment.purpose)
    next_url = purpose.success_url(payment) if purpose and purpose.success_url and payment.is_paid else None
    return render(
        request,
        "billing/payment_status.html",
        {
            "payment": payment,
            "canceled": canceled,
            "returned": bool(session_id),  # words only ("Thanks! We are confirming…")
            "processing": processing and not canceled,
            "next_url": next_url,
            "refresh": processing and not canceled,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def payment_retry(request, pk):
    payment = _visible_payment(request, pk)
    if request.method == "GET":
        # A link (e-mails sent before they linked the payment's page): the page says what happened and offers
        # the button; a GET never starts a payment.
        return redirect("billing:payment_status", pk=payment.pk)
    if payment.user_id != request.user.pk:
        raise Http404("No such payment.")
    try:
        start = services.retry_payment(payment)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("billing:payment_status", pk=payment.pk)
    return redirect(start.url)


@login_required
def payment_history(request):
    page = Paginator(selectors.own_payments(request.user), 25).get_page(request.GET.get("page"))
    return render(request, "billing/payment_history.html", {"page": page})


@login_required
def receipt(request, pk):
    payment = _visible_payment(request, pk)
    if not payment.is_paid:
        raise Http404("There is no receipt for a payment that did not go through.")
    refunds = payment.refunds.filter(status="succeeded").order_by("created_at")
    return render(request, "billing/receipt.html", {"payment": payment, "refunds": refunds})


@csrf_exempt
@require_POST
def stripe_webhook(request, endpoint_uuid):
    """Stripe delivers events here; answered fast, processed by a Celery task."""
    status, message = webhooks.receive(request, endpoint_uuid)
    metrics.webhook_received(status)
    return JsonResponse({"status": message}, status=status)
