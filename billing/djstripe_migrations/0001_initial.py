"""dj-stripe's own migration 0001_initial, unchanged (see __init__.py)."""

from importlib import import_module

Migration = import_module("djstripe.migrations.0001_initial").Migration
