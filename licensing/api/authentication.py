from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from ..models import OrganisationAPIKey
from ..services import api_keys, usage


class OrgAPIKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer lyo_...`: an organisation API key. request.user is the admin who created it (for
    throttling and Idempotency-Key replays); request.auth is the key, which limits what the call may do to its
    organisation and scopes. Every call is counted against the organisation's monthly API calls (a licence with a
    hard limit refuses calls past it with 429 and Retry-After). Other Bearer keys go to the next class."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if len(header) != 2 or header[0] != self.keyword or not header[1].startswith(OrganisationAPIKey.PREFIX):
            return None
        key = api_keys.authenticate(header[1])
        if key is None:
            raise exceptions.AuthenticationFailed("This organisation API key is not valid or has been revoked.")
        try:
            usage.record_api_call(key.organisation)  # counted per month; past a hard limit: 429 until the next
        except usage.OverLimit as exc:
            raise exceptions.Throttled(wait=exc.retry_after, detail=exc.message, code=exc.code) from exc
        return key.created_by, key

    def authenticate_header(self, request):
        return self.keyword


class OrgAPIKeyScheme(OpenApiAuthenticationExtension):
    target_class = "licensing.api.authentication.OrgAPIKeyAuthentication"
    name = "OrgApiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An organisation API key (lyo_...) created by an org admin on the Integrations page.",
        }
