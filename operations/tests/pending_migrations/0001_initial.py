import importlib

Migration = importlib.import_module("operations.migrations.0001_initial").Migration
