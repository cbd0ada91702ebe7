from django.db import migrations

STAFF_GROUPS = ("Support", "Finance", "Content review")


def create_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in STAFF_GROUPS:
        Group.objects.get_or_create(name=name)


def keep_groups(apps, schema_editor):
    """Going back keeps the groups: deleting them would take every staff member's group membership and the
    permissions staff gave them with it, and going forward again cannot bring those back (the rollback
    test in deploy/tests/test_migrations.py)."""


def set_site(apps, schema_editor):
    """Name the site once. A domain an operator has set since (not Django's example.com) is kept, so running
    this again after a rollback changes nothing."""
    Site = apps.get_model("sites", "Site")
    site, created = Site.objects.get_or_create(pk=1, defaults={"domain": "127.0.0.1:8000", "name": "Lyceum"})
    if not created and site.domain == "example.com":
        site.domain, site.name = "127.0.0.1:8000", "Lyceum"
        site.save(update_fields=["domain", "name"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("sites", "0002_alter_domain_unique"),
    ]

    operations = [
        migrations.RunPython(create_groups, keep_groups),
        migrations.RunPython(set_site, migrations.RunPython.noop),
    ]
