"""OpenAPI pieces shared by every endpoint: the error envelope and the usual error responses."""

from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "error": inline_serializer(
            name="ErrorDetail",
            fields={
                "code": serializers.CharField(),
                "message": serializers.CharField(),
                "fields": serializers.DictField(child=serializers.ListField(child=serializers.CharField())),
            },
        )
    },
)


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    descriptions = {
        400: "The request is not valid; `fields` names what to fix.",
        401: "No valid credentials were sent.",
        403: "The caller may not do this.",
        404: "Not found.",
        409: "Conflicts with the current state.",
        422: "Understood, but cannot be done.",
        429: "Too many requests; see Retry-After.",
        502: "The payment provider failed; try again.",
        503: "A dependency is unavailable; try again.",
    }
    return {code: OpenApiResponse(ErrorSerializer, description=descriptions.get(code, "Error.")) for code in statuses}
