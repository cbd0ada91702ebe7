"""dj-stripe's migrations as billing/djstripe_migrations serves them (see its __init__.py)."""

import importlib
import pkgutil

from django.apps import apps
from django.conf import settings
from django.db.migrations.autodetector import MigrationAutodetector
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.questioner import NonInteractiveMigrationQuestioner

SQUASHED = ("djstripe", "0001_squashed_0003_2_11")


def _djstripe_migration_names() -> list[str]:
    package = importlib.import_module("djstripe.migrations")
    return sorted(name for _, name, is_pkg in pkgutil.iter_modules(package.__path__) if not is_pkg)


def test_every_migration_of_the_installed_dj_stripe_is_served_unchanged():
    """Upgrading dj-stripe without re-exporting its new migration here fails this test, not a deploy."""
    assert settings.MIGRATION_MODULES["djstripe"] == "billing.djstripe_migrations"
    names = _djstripe_migration_names()
    assert names, "dj-stripe ships no migrations?"
    for name in names:
        ours = importlib.import_module(f"billing.djstripe_migrations.{name}")
        theirs = importlib.import_module(f"djstripe.migrations.{name}")
        assert ours.Migration is theirs.Migration, name


def test_a_new_database_applies_the_squashed_migration_in_place_of_the_originals():
    squashed = importlib.import_module(f"billing.djstripe_migrations.{SQUASHED[1]}").Migration
    assert sorted(squashed.replaces) == [("djstripe", name) for name in _djstripe_migration_names()]
    loader = MigrationLoader(None, ignore_no_migrations=True)
    assert SQUASHED in loader.graph.nodes
    assert not {("djstripe", name) for name in _djstripe_migration_names()} & set(loader.graph.nodes)


def test_the_squashed_schema_is_exactly_the_one_the_originals_build():
    loader = MigrationLoader(None, ignore_no_migrations=True, replace_migrations=False)
    originals_leaf = ("djstripe", _djstripe_migration_names()[-1])
    through_originals = loader.project_state(originals_leaf, at_end=True)
    through_squash = loader.project_state(SQUASHED, at_end=True)
    changes = MigrationAutodetector(
        through_originals, through_squash, NonInteractiveMigrationQuestioner(specified_apps={"djstripe"})
    )._detect_changes(convert_apps={"djstripe"})
    assert changes.get("djstripe", []) == []
    djstripe_models = {m._meta.model_name for m in apps.get_app_config("djstripe").get_models()}
    assert {name for (app, name) in through_squash.models if app == "djstripe"} == djstripe_models
