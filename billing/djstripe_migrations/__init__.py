"""dj-stripe's migrations, plus one squashed migration that replaces them on a new database.

dj-stripe 2.11 builds its schema in three migrations, one of which drops 514 columns one by one; on
SQLite each drop rebuilds the table, which made a first `make run` (and every test run's set-up) wait
about a minute. `settings.MIGRATION_MODULES` points dj-stripe here. The original migrations are
re-exported unchanged (a database that already applied them keeps its history, and PostgreSQL in
production applies exactly what it always did); a new database applies `0001_squashed_0003_2_11`
instead, which creates the same final schema directly. `makemigrations --check` proves the squashed
schema equals dj-stripe's models, and billing/tests/test_djstripe_migrations.py fails when an upgrade
of dj-stripe brings a migration that is not re-exported here.
"""
