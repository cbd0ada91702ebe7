from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from .audit import attribute_to
from .services import authenticate_api_key


class APIKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <personal API key>`."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        parts = header.split()
        if parts[0] != self.keyword:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Send the key as `Authorization: Bearer <key>`.")
        key = authenticate_api_key(parts[1])
        if key is None:
            raise exceptions.AuthenticationFailed("This API key is not valid or has been revoked.")
        attribute_to(key.user)  # the audit trail names the key's owner for what this request changes
        return key.user, key

    def authenticate_header(self, request):
        return self.keyword


class APIKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.APIKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "A personal API key from your profile page."}
