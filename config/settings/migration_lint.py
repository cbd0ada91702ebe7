"""Settings for `manage.py lintmigrations` (django-migration-linter, a development tool): the test settings
plus the linter's app. CI runs it against PostgreSQL, the production engine (docs/deploy.md, "Migrations").

It flags migrations the previous release's code cannot run beside during a rolling deploy (dropped or
renamed columns, NOT NULL columns without a database default, ...). A flagged migration is fixed before it
lands; the ones below were on main before that was noticed (a migration on main is never rewritten), each
reviewed with its reason.
"""

from .test import *  # noqa: F403
from .test import BASE_DIR, INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "django_migration_linter"]

REVIEWED_MIGRATIONS = {
    ("marketplace", "0003_reviews_certificates"): (
        "Adds CourseCompletion.certificate_code NOT NULL and unique, with an index, after filling existing rows. "
        "It landed before the first production release, so no older code runs beside it; on a large table the "
        "same change would be three releases (nullable column written by the code, backfill, then NOT NULL)."
    ),
    ("marketplace", "0006_remove_earningsentry_available_at"): (
        "Drops EarningsEntry.available_at. It landed before the first production release, so no older code "
        "reads the column; from now on a column is dropped one release after the code stopped using it."
    ),
    ("billing", "0003_money_hardening"): (
        "Adds Payment.amount_mismatch (NOT NULL, indexed), the unique open_checkout_key and the one-payment-per-"
        "invoice unique constraint. It landed (by mistake without the linter) before the first production "
        "release, so no older code runs beside it. On a live payments table the same change would be: columns "
        "with a database default (db_default) or nullable, the unique indexes built with "
        "AddIndexConcurrently in a non-atomic migration, then the constraint attached to that index."
    ),
}

# Our apps only: third-party migrations are their maintainers' (and dj-stripe's cannot even be rendered to
# SQL out of order). A new app is linted by living in this repository.
MIGRATION_LINTER_OPTIONS = {
    "include_apps": [app for app in INSTALLED_APPS if "." not in app and (BASE_DIR / app / "migrations").is_dir()],
    "ignore_name": [name for _, name in REVIEWED_MIGRATIONS],
}
