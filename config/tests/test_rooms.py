"""The rooms rules (DESIGN.md), checked on the source: each app's surface for the others is its
``interface`` module, and dependencies point one way (accounts <- billing <- subscriptions <- the rest; support also reads licensing)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# app -> the apps it may import (through their interface module)
ALLOWED = {
    "accounts": set(),
    "billing": {"accounts"},
    "subscriptions": {"accounts", "billing"},
    "marketplace": {"accounts", "billing", "subscriptions"},
    "licensing": {"accounts", "billing", "subscriptions"},
    "rewards": {"accounts", "billing", "subscriptions", "marketplace"},
    "support": {"accounts", "billing", "subscriptions", "licensing"},
}
# Demo seeding and tests set up whole scenarios across apps; they are not app code.
EXEMPT_PARTS = {"tests", "migrations", "management"}
EXEMPT_FILES = {"demo.py"}


def _app_modules():
    for app in ALLOWED:
        folder = ROOT / app
        if not folder.is_dir():
            continue
        for path in folder.rglob("*.py"):
            rel = path.relative_to(ROOT)
            if EXEMPT_PARTS & set(rel.parts) or path.name in EXEMPT_FILES:
                continue
            yield app, rel, path


def _imports(path: Path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module in ALLOWED:  # "from billing import x": x must be the interface module
                for alias in node.names:
                    yield node.lineno, f"{node.module}.{alias.name}"
            else:
                yield node.lineno, node.module
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name


def test_apps_import_each_other_only_through_interface_modules_and_downwards():
    problems = []
    for app, rel, path in _app_modules():
        for lineno, module in _imports(path):
            other = module.split(".")[0]
            if other not in ALLOWED or other == app:
                continue
            if other not in ALLOWED[app]:
                problems.append(f"{rel}:{lineno} imports {module}: {app} may not depend on {other}")
            elif module != f"{other}.interface":
                problems.append(f"{rel}:{lineno} imports {module}: use {other}.interface")
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("app", ["accounts", "billing", "subscriptions", "marketplace", "licensing", "support"])
def test_each_interface_says_what_it_offers_and_exports_it(app):
    import importlib

    module = importlib.import_module(f"{app}.interface")
    assert module.__doc__ and "offer" in module.__doc__
    for name in module.__all__:
        assert hasattr(module, name), f"{app}.interface.__all__ names {name}, which it does not define"
        assert name in module.__doc__, f"{app}.interface does not describe {name} in its docstring"
