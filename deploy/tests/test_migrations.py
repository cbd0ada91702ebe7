"""Safe migrations. On a database with demo data, every app of ours goes back to its previous migration and
forward again without an error and without losing a row or a value; and the migration linter's reviewed
exceptions (config/settings/migration_lint.py) name real migrations, each with its reason."""

import hashlib
import io

import pytest
from django.apps import apps
from django.contrib.sites.models import Site
from django.core.management import call_command
from django.db import connection
from django.db.migrations import RunPython
from django.db.migrations.loader import MigrationLoader

from config.settings import migration_lint

OUR_APPS = migration_lint.MIGRATION_LINTER_OPTIONS["include_apps"]


def snapshot() -> dict[str, tuple[int, str]]:
    """Row count and a digest of every value, per table, read through today's models."""
    figures = {}
    for model in apps.get_models(include_auto_created=True):  # many-to-many tables too
        if model._meta.proxy or not model._meta.managed:
            continue
        columns = [field.column for field in model._meta.concrete_fields]
        with connection.cursor() as cursor:
            table = connection.ops.quote_name(model._meta.db_table)
            names = ", ".join(connection.ops.quote_name(column) for column in columns)
            pk = connection.ops.quote_name(model._meta.pk.column)
            cursor.execute(f"SELECT {names} FROM {table} ORDER BY {pk}")  # noqa: S608 - our own table names
            rows = cursor.fetchall()
        figures[model._meta.db_table] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
    return figures


def latest_and_previous(app: str) -> tuple[str, str]:
    graph = MigrationLoader(connection).graph
    (latest,) = graph.leaf_nodes(app)
    parents = [parent for parent in graph.node_map[latest].parents if parent[0] == app]
    return latest[1], parents[0][1] if parents else "zero"


def seed_like_migrate():
    """A transactional test starts from a flushed database: the rows our data migrations seed (tiers, staff
    groups, revenue-share rules, the site) are put back as `migrate` leaves them (each is idempotent)."""
    graph = MigrationLoader(connection).graph
    for app in OUR_APPS:
        for key in graph.forwards_plan(graph.leaf_nodes(app)[0]):
            if key[0] == app:
                for operation in graph.nodes[key].operations:
                    if isinstance(operation, RunPython):
                        with connection.schema_editor() as editor:
                            operation.code(apps, editor)


@pytest.mark.django_db(transaction=True)
def test_every_app_goes_back_one_migration_and_forward_again_without_losing_data():
    seed_like_migrate()
    call_command("seed_demo", stdout=io.StringIO())
    # As in production, where an operator has named the site: going forward again must not rename it.
    Site.objects.update_or_create(pk=1, defaults={"domain": "lyceum.example", "name": "Lyceum"})
    before = snapshot()
    assert sum(count for count, _ in before.values()) > 100  # demo users, catalogue, reviews, tiers ...
    stepped = []
    try:
        for app in OUR_APPS:
            latest, previous = latest_and_previous(app)
            if previous == "zero":
                continue  # only an initial migration: going back would drop the app's tables by design
            call_command("migrate", app, previous, verbosity=0)
            # Forward again as a release does: everything (going back may also have unapplied another
            # app's migrations that depend on this one, e.g. rewards on accounts).
            call_command("migrate", verbosity=0)
            stepped.append(f"{app}.{previous}")
            assert snapshot() == before, f"{app}: {latest} back to {previous} and forward changed data"
    finally:
        call_command("migrate", verbosity=0)  # whatever happened, leave the schema current
    assert {"accounts", "marketplace", "subscriptions"} <= {name.split(".")[0] for name in stepped}


def test_reviewed_migrations_exist_and_say_why():
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    for (app, name), reason in migration_lint.REVIEWED_MIGRATIONS.items():
        assert (app, name) in graph.nodes, f"{app}.{name} is not a migration"
        assert len(reason) > 60
    assert set(OUR_APPS) >= {"accounts", "billing", "subscriptions", "marketplace", "operations"}
