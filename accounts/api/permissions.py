from rest_framework.permissions import BasePermission

from ..permission_table import act_for_api
from ..roles import may_perform


class ActPermission(BasePermission):
    """A staff API operation: the caller needs the permission accounts/permission_table.py gives this
    operation ("<METHOD> <URL name>"). An operation using this class but missing from the table is refused."""

    message = "You do not have permission to do this."

    def has_permission(self, request, view) -> bool:
        match = request.resolver_match
        act = act_for_api(request.method, match.view_name) if match else None
        return act is not None and may_perform(request.user, act)
