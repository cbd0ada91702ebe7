"""Staff groups and what each may do in the console.

Apps add their models' permissions to a group from their AppConfig.ready() with
`grant_to_group("Finance", ["billing.view_payment", ...])`; after every migrate the groups are
brought in line, so a new model's permissions reach staff without a hand-written migration.
"""

from collections import defaultdict

STAFF_GROUPS = ("Support", "Finance", "Content review", "Sales", "Rewards")

_group_permissions: dict[str, set[str]] = defaultdict(set)


def grant_to_group(group: str, permissions: list[str]) -> None:
    if group not in STAFF_GROUPS:
        raise ValueError(f"Unknown staff group {group!r}")
    _group_permissions[group].update(permissions)


def group_permissions() -> dict[str, set[str]]:
    return {name: set(_group_permissions.get(name, set())) for name in STAFF_GROUPS}


def sync_staff_groups(**kwargs) -> None:
    """post_migrate receiver: create the groups and give each exactly its registered permissions."""
    from django.contrib.auth.models import Group, Permission

    for name, perms in group_permissions().items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = []
        for dotted in sorted(perms):
            app_label, codename = dotted.split(".", 1)
            perm = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if perm is not None:
                wanted.append(perm)
        group.permissions.set(wanted)


def may(user, act: str) -> bool:
    """May this user do `act` (a key of accounts.permission_table.ACTS)? Superusers may do everything; staff
    need the act's permission (through their groups); learners never. An unknown act is a programming error."""
    from .permission_table import ACTS

    return may_perform(user, ACTS[act])


def may_perform(user, act) -> bool:
    """`may` for a row of the table itself (the console looks rows up by the action or page being used)."""
    from .permission_table import SUPERUSER_ONLY

    if not (getattr(user, "is_authenticated", False) and user.is_active):
        return False
    if user.is_superuser:
        return True
    return act.permission != SUPERUSER_ONLY and user.is_staff and user.has_perm(act.permission)
