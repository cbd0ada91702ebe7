"""dj-stripe's own migration 0003_2_11, unchanged (see __init__.py)."""

from importlib import import_module

Migration = import_module("djstripe.migrations.0003_2_11").Migration
