"""dj-stripe's own migration 0002_2_10, unchanged (see __init__.py)."""

from importlib import import_module

Migration = import_module("djstripe.migrations.0002_2_10").Migration
