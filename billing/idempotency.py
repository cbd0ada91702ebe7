"""Idempotency-Key for every POST that moves money or grants access.

Same key and same body: the first response again. Same key with another body or endpoint: 422.
A request still in progress with that key: 409. Server errors are not stored, so they can be retried.
A request that never finished (its worker was killed) stops counting as in progress after
IN_PROGRESS_TIMEOUT, longer than any request may run (gunicorn's timeout), so the client's retry runs.
"""

import functools
import hashlib
import json
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter
from rest_framework.response import Response

from config.api import error_body
from config.errors import DomainError

from .models import IdempotencyKey

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    name="Idempotency-Key",
    type=str,
    location=OpenApiParameter.HEADER,
    required=True,
    description="A unique key per operation (e.g. a UUID). Retrying with the same key and body replays the first response.",
)


# Longer than any request may run (gunicorn's worker timeout is 30 s).
IN_PROGRESS_TIMEOUT = timedelta(minutes=2)


def _take_over_abandoned(record: IdempotencyKey) -> bool:
    """Claim a key whose request died without an answer: one retry wins (a conditional update)."""
    if record.created_at > timezone.now() - IN_PROGRESS_TIMEOUT:
        return False
    claimed = IdempotencyKey.objects.filter(
        pk=record.pk, response_status__isnull=True, created_at=record.created_at
    ).update(created_at=timezone.now())
    return claimed == 1


def _fingerprint(request) -> str:
    try:
        body = json.dumps(request.data, sort_keys=True, default=str)
    except TypeError:
        body = request.body.decode("utf-8", "replace")
    return hashlib.sha256(body.encode()).hexdigest()


def idempotent(view_method):
    @functools.wraps(view_method)
    def wrapper(self, request, *args, **kwargs):
        key = (request.headers.get("Idempotency-Key") or "").strip()
        if not key:
            return Response(
                error_body(
                    "idempotency_key_required",
                    "Send an Idempotency-Key header (for example a UUID) so a retry cannot act twice.",
                ),
                status=400,
            )
        if len(key) > 255:
            return Response(
                error_body("invalid_idempotency_key", "Idempotency-Key is at most 255 characters."), status=400
            )
        endpoint = f"{request.method} {request.path}"
        fingerprint = _fingerprint(request)
        try:
            with transaction.atomic():
                record = IdempotencyKey.objects.create(
                    user=request.user, key=key, endpoint=endpoint, request_hash=fingerprint
                )
        except IntegrityError:
            record = IdempotencyKey.objects.get(user=request.user, key=key)
            if record.endpoint != endpoint or record.request_hash != fingerprint:
                return Response(
                    error_body(
                        "idempotency_key_reused",
                        "This Idempotency-Key was already used with a different request. Use a new key.",
                    ),
                    status=422,
                )
            if record.response_status is None and not _take_over_abandoned(record):
                return Response(
                    error_body("request_in_progress", "A request with this Idempotency-Key is still being processed."),
                    status=409,
                )
            if record.response_status is not None:
                response = Response(record.response_body, status=record.response_status)
                response["Idempotent-Replayed"] = "true"
                return response
        try:
            response = view_method(self, request, *args, **kwargs)
        except DomainError as exc:
            response = Response(error_body(exc.code, exc.message, exc.fields), status=exc.status_code)
        except Exception:
            record.delete()
            raise
        if response.status_code >= 500:
            record.delete()
        else:
            record.response_status = response.status_code
            record.response_body = response.data
            record.save(update_fields=["response_status", "response_body"])
        return response

    return wrapper
