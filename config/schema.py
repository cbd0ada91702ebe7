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


def document_bad_page(result, generator, request, public):
    """drf-spectacular post-processing hook: every paginated list answers 400 to a bad `page` (see
    config.api.Pagination), so each operation with a `page` parameter documents the 400 error."""
    for path in result.get("paths", {}).values():
        for operation in path.values():
            if not isinstance(operation, dict):
                continue
            names = {p.get("name") for p in operation.get("parameters", []) if p.get("in") == "query"}
            responses = operation.setdefault("responses", {})
            if "page" in names and "400" not in responses:
                responses["400"] = {
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                    "description": "The request is not valid; `fields` names what to fix (e.g. `page`).",
                }
    return result
